// Pitfall: a popular express-session tutorial keeps `var session` at module level and assigns
// `session = req.session` in each handler. All requests share that one variable, so when two overlap
// (any `await` between assignment and use), one user's request acts on another user's session.
// Ours hands each request its own session object (src/session/live-session.ts) and never stores one
// outside the request: two users hammering step 07 at once each only ever see themselves.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, it } from "node:test";
import { registerUser } from "../helpers/forms.ts";
import { type StartedStep, startStep } from "../helpers/start-step.ts";

const password = "correct horse battery staple";

describe("pitfall: a global session variable shared across requests", () => {
  let app: StartedStep | undefined;
  afterEach(() => app?.close());

  it("contrast: with one module-level variable, two overlapping requests both see the second user", async () => {
    const sessionsByCookie = new Map([["a", { user: "alice" }], ["b", { user: "bob" }]]);
    let session: { user: string } | undefined; // the pitfall: one variable for every request
    let arrived = 0;
    let bothArrived!: () => void;
    const bothHere = new Promise<void>((resolve) => (bothArrived = resolve));
    const server = createServer(async (req, res) => {
      session = sessionsByCookie.get(req.headers.cookie ?? "");
      if (++arrived === 2) bothArrived();
      await bothHere; // stands for any await: a database call, a password hash, reading the body
      res.end(`Hello ${session?.user}`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const [first, second] = await Promise.all([
        fetch(url, { headers: { cookie: "a" } }).then((response) => response.text()),
        fetch(url, { headers: { cookie: "b" } }).then((response) => response.text()),
      ]);
      assert.equal(first, second, "both requests answered for the same user");
    } finally {
      server.close();
    }
  });

  it("ours: 40 interleaved requests from two users each name their own user and count exactly", async () => {
    app = await startStep("07", { env: { SCRYPT_PARAMS: "fast-for-tests" } });
    const alice = app.newBrowser();
    const bob = app.newBrowser();
    await registerUser(app, alice, "alice", password);
    await registerUser(app, bob, "bob", password);
    const pages = await Promise.all(Array.from({ length: 40 }, async (_, index) => {
      const [browser, name] = index % 2 === 0 ? [alice, "alice"] : [bob, "bob"];
      const response = await browser.fetch("/");
      return { name, page: await response.text() };
    }));
    for (const { name, page } of pages) assert.match(page, new RegExp(`User "${name}" has \\d+ views`));
    for (const name of ["alice", "bob"]) {
      const counts = pages.filter((entry) => entry.name === name)
        .map(({ page }) => Number(/has (\d+) views/.exec(page)?.[1])).sort((a, b) => a - b);
      assert.deepEqual(counts, Array.from({ length: 20 }, (_, index) => index + 1), name);
    }
  });
});
