// The step runner as a reader uses it: `npm run step -- <n>` is `tsx steps/run.ts <n>`. These tests
// start it as a child process (through tsx on Node 20, natively where Node strips types itself).
import assert from "node:assert/strict";
import { type ChildProcess, spawn, type SpawnOptions } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { findStep, listSteps, startupProblem } from "../../steps/run.ts";
import { rawRequest } from "../helpers/raw-http.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// Node 22.18+ runs .ts files as they are; older versions need tsx's loader.
const nodeStripsTypes = typeof (process.features as { typescript?: unknown }).typescript === "string";
const nodeArguments = nodeStripsTypes ? [] : ["--import", "tsx"];

interface Child {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first stdout line matching `pattern` (rejects if the process exits first). */
  waitForLine(pattern: RegExp): Promise<string>;
  exited: Promise<number | null>;
}

function runStep(argument: string, env: Record<string, string> = {},
  options: Pick<SpawnOptions, "uid" | "gid"> & { script?: string } = {}): Child {
  const { script = "steps/run.ts", ...spawnOptions } = options;
  const child = spawn(process.execPath, [...nodeArguments, script, argument], {
    ...spawnOptions,
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForLine(pattern) {
      return new Promise((resolve, reject) => {
        const look = () => {
          const line = stdout.split("\n").find((candidate) => pattern.test(candidate));
          if (line === undefined) return false;
          child.stdout!.off("data", look);
          resolve(line);
          return true;
        };
        if (look()) return;
        child.stdout!.on("data", look);
        void exited.then((code) => reject(new Error(`exited with ${code} before printing ${pattern}:\n${stdout}\n${stderr}`)));
      });
    },
  };
}

describe("findStep", () => {
  const steps = ["01-view-counter", "02-signed-cookies", "10-more"];

  it("accepts a number with or without its leading zero, and the folder name", () => {
    assert.equal(findStep("1", steps), "01-view-counter");
    assert.equal(findStep("01", steps), "01-view-counter");
    assert.equal(findStep("01-view-counter", steps), "01-view-counter");
    assert.equal(findStep("10", steps), "10-more");
  });

  it("answers `latest` with the newest step", () => {
    assert.equal(findStep("latest", steps), "10-more");
  });

  it("finds nothing for unknown or malformed names", () => {
    for (const argument of ["99", "001", "1x", "", "view-counter", "../01-view-counter", "01-view-counter/"]) {
      assert.equal(findStep(argument, steps), undefined, argument);
    }
  });

  it("lists the real step folders in order, starting with 01-view-counter", () => {
    const real = listSteps();
    assert.equal(real[0], "01-view-counter");
    assert.deepEqual(real, [...real].sort());
  });
});

describe("startupProblem", () => {
  const choose = "choose another port with PORT (0 picks a free one; step 09 also listens on LOCAL_PROVIDER_PORT, " +
    "default PORT + 1)";
  // Shaped as Node reports them (code, syscall and the fields it adds).
  const listenError = (code: string, address: string, port?: number) =>
    Object.assign(new Error(`listen ${code}`), { code, syscall: "listen", address, port });
  const fileError = (code: string, syscall: string) =>
    Object.assign(new Error(`${code}: ${syscall} '/srv/app/.data/session-secret'`), { code, syscall, path: "/srv/app/.data/session-secret" });

  it("explains a HOST that does not resolve (listen's getaddrinfo lookup)", () => {
    for (const code of ["ENOTFOUND", "EAI_AGAIN"]) {
      const error = Object.assign(new Error(`getaddrinfo ${code} app.internal`), { code, syscall: "getaddrinfo", hostname: "app.internal" });
      assert.equal(startupProblem(error), `HOST "app.internal" is not a name this machine can look up (${code}); set HOST ` +
        "to a host name or an IP address of this machine, such as 127.0.0.1, ::1 or 0.0.0.0 (every interface)");
    }
  });

  it("explains only listen()'s EACCES, EADDRINUSE and EADDRNOTAVAIL by PORT and HOST; a file's keeps its stack", () => {
    assert.equal(startupProblem(listenError("EADDRINUSE", "127.0.0.1", 3000)),
      `127.0.0.1:3000 is already in use by another program; ${choose}`);
    assert.equal(startupProblem(listenError("EACCES", "0.0.0.0", 80)),
      `no permission to listen on 0.0.0.0:80 (ports below 1024 need privileges); ${choose}`);
    assert.equal(startupProblem(listenError("EADDRNOTAVAIL", "10.255.255.1")), "HOST 10.255.255.1 is not an address of this machine");
    for (const [code, syscall] of [["EACCES", "open"], ["EACCES", "mkdir"], ["EADDRINUSE", "connect"], ["EADDRNOTAVAIL", "connect"]] as const) {
      assert.equal(startupProblem(fileError(code, syscall)), null, `${code} from ${syscall}`);
    }
  });
});

describe("npm run step -- <n>", () => {
  it("prints the list of steps and exits non-zero for an unknown step", async () => {
    const child = runStep("99");
    const code = await child.exited;
    assert.notEqual(code, 0);
    assert.match(child.stderr(), /^Unknown step "99"\.$/m);
    assert.match(child.stderr(), /^Steps:$/m);
    for (const step of listSteps()) assert.match(child.stderr(), new RegExp(`^  ${step}$`, "m"));
    assert.equal(child.stdout(), "");
  });

  it("runs when started through a symbolic link (macOS's /tmp, a deploy link), not silently exits 0", async (t) => {
    const folder = mkdtempSync(path.join(os.tmpdir(), "nsfs-link-"));
    t.after(() => rmSync(folder, { recursive: true, force: true }));
    symlinkSync(root, path.join(folder, "project"));
    const child = runStep("99", {}, { script: path.join(folder, "project", "steps", "run.ts") });
    assert.notEqual(await child.exited, 0);
    assert.match(child.stderr(), /^Unknown step "99"\.$/m);
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) it(`prints exactly one Listening line with the real port, and on ${signal} finishes the in-flight request and exits 0`, async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
    after(() => rmSync(dataDir, { recursive: true, force: true }));
    const child = runStep("1", { PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir });
    after(() => child.process.kill("SIGKILL"));

    const line = await child.waitForLine(/^Listening on /);
    const match = /^Listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
    assert.ok(match, `unexpected line: ${line}`);
    assert.notEqual(Number(match[2]), 0, "prints the port the OS picked, not 0");
    const baseUrl = match[1]!;

    // A request that is in flight when the signal arrives: its head is half sent.
    const socket = net.connect({ host: "127.0.0.1", port: Number(match[2]) });
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    let reply = "";
    socket.on("data", (chunk) => (reply += chunk.toString("latin1")));
    const replied = new Promise((resolve, reject) => {
      socket.on("close", resolve);
      socket.on("error", reject);
    });
    // A complete request on another connection, answered: by then the server has read the half
    // request above too (it was sent first), so that one counts as in flight, not idle.
    assert.equal((await rawRequest(baseUrl, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).status, 200);

    child.process.kill(signal);
    await child.waitForLine(new RegExp(`^${signal}: finishing in-flight requests`));
    socket.end("Connection: close\r\n\r\n");
    await replied;

    assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(reply, /\r\n\r\nViews: 1$/);
    assert.equal(await child.exited, 0);
    assert.equal(child.stdout().split("\n").filter((output) => output.startsWith("Listening on")).length, 1);
    assert.equal(child.stderr(), "");
    // The server really stopped: a new connection is refused.
    await assert.rejects(rawRequest(baseUrl, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  });

  it("refuses to start with a clear message when PORT is invalid", async () => {
    const child = runStep("01", { PORT: "http" });
    assert.equal(await child.exited, 1);
    assert.equal(child.stderr().trim(), 'Cannot start: PORT is invalid: must be a whole number from 0 to 65535, got "http"');
  });

  it("says which port is taken, and how to choose another, instead of a stack trace", async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    after(() => squatter.close());
    const { port } = squatter.address() as net.AddressInfo;
    const child = runStep("01", { PORT: String(port) });
    assert.equal(await child.exited, 1);
    assert.equal(child.stderr().trim(), `Cannot start: 127.0.0.1:${port} is already in use by another program; ` +
      "choose another port with PORT (0 picks a free one; step 09 also listens on LOCAL_PROVIDER_PORT, default PORT + 1)");
  });

  it("refuses to start with a clear message when HOST has a port or a scheme", async () => {
    for (const host of ["localhost:3000", "http://127.0.0.1"]) {
      const child = runStep("01", { HOST: host, PORT: "0" });
      assert.equal(await child.exited, 1);
      assert.equal(child.stderr().trim(), "Cannot start: HOST is invalid: must be a host name or an IP address, without " +
        `scheme, port or brackets (e.g. 127.0.0.1, ::1, 0.0.0.0 or localhost), got "${host}"`);
    }
  });

  // The file was created by another user (often: once with sudo). Root reads anything, so as root the
  // server runs as "nobody" instead; as anyone else, the file's mode denies reading.
  const asRoot = process.geteuid?.() === 0;
  // As root the child runs as "nobody", who must be able to reach Node and the project: not so when
  // either sits below a private folder (CI's temporary Node is in a mktemp -d folder, mode 0700).
  const reachableByOthers = (target: string) => {
    for (let at = target; ; at = path.dirname(at)) {
      if ((statSync(at).mode & 0o001) === 0) return false;
      if (at === path.dirname(at)) return true;
    }
  };
  const skipAsRoot = asRoot && !(reachableByOthers(process.execPath) && reachableByOthers(root))
    ? "Node or the project sits in a folder other users can't enter" : false;
  it("names an unreadable secret file and what to do, instead of a port problem or a stack trace",
    { skip: process.platform === "win32" ? "no file modes on Windows" : skipAsRoot }, async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
      after(() => rmSync(dataDir, { recursive: true, force: true }));
      chmodSync(dataDir, 0o755);
      const file = path.join(dataDir, "session-secret");
      writeFileSync(file, "q3L8vZ0xN2pR5tW7yB1dF4hJ6kM9sU0cG5jT8wQ2eY7\n", { mode: asRoot ? 0o600 : 0o000 });
      const nobody = 65534;
      const child = runStep("02", { PORT: "0", DATA_DIR: dataDir }, asRoot ? { uid: nobody, gid: nobody } : {});
      const user = asRoot ? nobody : process.geteuid!();
      assert.equal(await child.exited, 1);
      assert.equal(child.stderr().trim(), `Cannot start: secret file "${file}" cannot be read (EACCES): this user may ` +
        `not read it (was it created with sudo?): run the server as the file's owner, or give the file to user ${user} ` +
        `(e.g. sudo chown ${user} "${file}")`);
      assert.equal(child.stdout(), "");
    });
});
