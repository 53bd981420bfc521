// Step 03 over real HTTP: the session manager with a FileStore. The shared suite covers restarts,
// expiry, concurrency and store failures; here, what is particular to unencrypted files.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { describeFileSessionStep, sessionFiles, viewsOf } from "../helpers/file-session-step-suite.ts";
import { type StartedStep, startStep } from "../helpers/start-step.ts";

describeFileSessionStep("03");

describe("step 03: plain session files", () => {
  let app: StartedStep;
  before(async () => (app = await startStep("03")));
  after(() => app.close());

  it("keeps one JSON file per session, readable by anyone who can read the folder (step 04 seals it)", async () => {
    await viewsOf(app);
    await viewsOf(app);
    const [file] = sessionFiles(app);
    const record = JSON.parse(readFileSync(join(app.dataDir, "sessions", file!), "utf8")) as Record<string, unknown>;
    assert.deepEqual(Object.keys(record), ["v", "userId", "createdAtMs", "lastSeenMs", "expiresAtMs", "data"]);
    assert.deepEqual(record.data, { views: 2 });
  });
});
