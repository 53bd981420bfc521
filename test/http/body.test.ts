import assert from "node:assert/strict";
import { IncomingMessage } from "node:http";
import net, { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { readBody, readForm, readJson } from "../../src/http/body.ts";
import { withErrorBoundary } from "../../src/http/error-boundary.ts";
import type { HttpError } from "../../src/http/http-error.ts";
import { sendJson } from "../../src/http/respond.ts";
import { deferred, rawRequest, startServer, type TestServer } from "./server-for-tests.ts";

const form = "application/x-www-form-urlencoded";

async function fieldsOf(response: Response | Promise<Response>): Promise<unknown> {
  return ((await (await response).json()) as { fields: unknown }).fields;
}
const limit = 64;

describe("request bodies over HTTP", () => {
  let server: TestServer;
  // The truncated-upload test watches what readBody did for a client that went away.
  let observed = deferred<unknown>();
  before(async () => {
    server = await startServer(
      withErrorBoundary(async (req, res) => {
        if (req.url === "/form") {
          const fields = await readForm(req, { maxBytes: limit });
          return sendJson(res, 200, { fields, nullPrototype: Object.getPrototypeOf(fields) === null });
        }
        if (req.url === "/form-default-limit") return sendJson(res, 200, { fields: await readForm(req) });
        if (req.url === "/json") return sendJson(res, 200, { value: await readJson(req, { maxBytes: limit }) });
        if (req.url === "/default-limit") return sendJson(res, 200, { length: (await readBody(req, { maxBytes: 16 * 1024 })).length });
        if (req.url === "/raw") return sendJson(res, 200, { hex: (await readBody(req, { maxBytes: limit })).toString("hex") });
        if (req.url === "/twice") {
          await readBody(req, { maxBytes: limit });
          try {
            await readBody(req, { maxBytes: limit });
          } catch (error) {
            return sendJson(res, 200, { name: (error as Error).name, message: (error as Error).message });
          }
        }
        if (req.url === "/observe") {
          await readBody(req, { maxBytes: 1000 }).then(observed.resolve, observed.resolve);
        }
      }, { log: () => {} }),
    );
  });
  after(() => server.close());

  const post = (path: string, body: string | Uint8Array, contentType?: string, headers?: Record<string, string>) =>
    fetch(`${server.url}${path}`, {
      method: "POST",
      body,
      headers: { ...(contentType === undefined ? {} : { "Content-Type": contentType }), ...headers },
    });

  describe("readForm", () => {
    it("decodes fields (+ as space, UTF-8 escapes) into a null-prototype record", async () => {
      const response = await post("/form", "username=ada+lovelace&password=p%C3%A4ss%2B1", form);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { fields: { username: "ada lovelace", password: "päss+1" }, nullPrototype: true });
    });

    it("accepts charset=UTF-8, empty bodies, empty pairs and names without '='", async () => {
      assert.deepEqual(await fieldsOf(post("/form", "a=1", `${form}; charset=UTF-8`)), { a: "1" });
      assert.deepEqual(await fieldsOf(post("/form", "", form)), {});
      assert.deepEqual(await fieldsOf(post("/form", "a=1&&b=&c", form)), { a: "1", b: "", c: "" });
    });

    it("keeps __proto__ as an ordinary field name (no prototype pollution)", async () => {
      const response = await post("/form", "__proto__=x&constructor=y", form);
      assert.deepEqual(await fieldsOf(response), JSON.parse(`{"__proto__":"x","constructor":"y"}`));
      assert.equal(({} as Record<string, unknown>).x, undefined);
    });

    const unsupported: [contentType: string | undefined][] = [
      [undefined],
      ["text/plain"],
      ["application/json"],
      ["multipart/form-data; boundary=x"],
      [`${form}; charset=iso-8859-1`],
      [`${form}x`],
    ];
    for (const [contentType] of unsupported) {
      it(`answers 415 for Content-Type ${JSON.stringify(contentType)}`, async () => {
        const response = await post("/form", "a=1", contentType, contentType === undefined ? { "Content-Type": "" } : {});
        assert.equal(response.status, 415);
        assert.equal(await response.text(), "Unsupported Content-Type: expected application/x-www-form-urlencoded (UTF-8)");
      });
    }

    const malformed: [body: string | Uint8Array, message: string][] = [
      ["a=%zz", "Malformed form body: bad percent-encoding or non-UTF-8 data"],
      ["a=%E0%A4%A", "Malformed form body: bad percent-encoding or non-UTF-8 data"],
      ["a=%FF", "Malformed form body: bad percent-encoding or non-UTF-8 data"],
      ["a%=1", "Malformed form body: bad percent-encoding or non-UTF-8 data"],
      ["=x", "Malformed form body: a field has no name"],
      ["password=a&password=b", `Malformed form body: field "password" appears twice`],
      [new Uint8Array([0x61, 0x3d, 0xff, 0xfe]), "The request body is not valid UTF-8"],
    ];
    for (const [body, message] of malformed) {
      it(`answers 400 "${message}" for ${JSON.stringify(typeof body === "string" ? body : [...body])}`, async () => {
        const response = await post("/form", body, form);
        assert.equal(response.status, 400);
        assert.equal(await response.text(), message);
      });
    }

    it("cuts a long duplicate field name in the message to 40 characters", async () => {
      const name = "n".repeat(50);
      const response = await post("/form-default-limit", `${name}=1&${name}=2`, form);
      assert.equal(response.status, 400);
      assert.equal(await response.text(), `Malformed form body: field "${"n".repeat(40)}…" appears twice`);
    });
  });

  describe("readJson", () => {
    it("parses a JSON body", async () => {
      const response = await post("/json", `{"username":"ada","n":[1,2]}`, "application/json; charset=utf-8");
      assert.deepEqual(await response.json(), { value: { username: "ada", n: [1, 2] } });
    });

    for (const body of ["{", "", "{'a':1}", "undefined", `{"a":1}x`]) {
      it(`answers 400 "Malformed JSON body" for ${JSON.stringify(body)}`, async () => {
        const response = await post("/json", body, "application/json");
        assert.equal(response.status, 400);
        assert.equal(await response.text(), "Malformed JSON body");
      });
    }

    it("R20: answers 415 for the simple content types a cross-site form can send", async () => {
      for (const contentType of ["text/plain", form, "multipart/form-data; boundary=x"]) {
        const response = await post("/json", `{"a":1}`, contentType);
        assert.equal(response.status, 415);
        assert.equal(await response.text(), "Unsupported Content-Type: expected application/json (UTF-8)");
      }
    });

    it("answers 400 for JSON that is not UTF-8", async () => {
      const response = await post("/json", new Uint8Array([0x22, 0xc3, 0x28, 0x22]), "application/json");
      assert.equal(response.status, 400);
      assert.equal(await response.text(), "The request body is not valid UTF-8");
    });
  });

  describe("readBody limits and faults", () => {
    it("returns the exact bytes, up to and including the limit", async () => {
      const response = await post("/raw", new Uint8Array(limit).fill(0xab));
      assert.deepEqual(await response.json(), { hex: "ab".repeat(limit) });
    });

    it("answers 413 and closes the connection one byte past the limit", async () => {
      const response = await post("/form", `a=${"x".repeat(limit - 1)}`, form);
      assert.equal(response.status, 413);
      assert.equal(response.headers.get("connection"), "close");
      assert.equal(await response.text(), `The request body is larger than ${limit} bytes`);
    });

    it("accepts a 16 KiB body under the default-sized limit", async () => {
      const response = await post("/default-limit", "x".repeat(16 * 1024));
      assert.deepEqual(await response.json(), { length: 16 * 1024 });
    });

    it("answers 413 from Content-Length alone, before the body is sent", async () => {
      // The client announces 10 MB and sends none of it; the answer comes anyway.
      const reply = await rawRequest(
        server.port,
        `POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: ${form}\r\nContent-Length: 10000000\r\n\r\n`,
        { end: false },
      );
      assert.match(reply, /^HTTP\/1\.1 413 Payload Too Large\r\n/);
      assert.match(reply, /\r\nConnection: close\r\n/i);
      assert.ok(reply.endsWith(`The request body is larger than ${limit} bytes`));
    });

    it("answers 413 to a chunked upload once past the limit, without waiting for its end", async () => {
      const chunk = "a=" + "x".repeat(100);
      const reply = await rawRequest(
        server.port,
        `POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: ${form}\r\nTransfer-Encoding: chunked\r\n\r\n` +
          `${chunk.length.toString(16)}\r\n${chunk}\r\n`, // no final "0" chunk: the upload is still going
        { end: false },
      );
      assert.match(reply, /^HTTP\/1\.1 413 Payload Too Large\r\n/);
      assert.ok(reply.endsWith(`The request body is larger than ${limit} bytes`));
    });

    // Without Content-Length only the bytes read count, so the limit is checked as the chunks arrive.
    const chunkedRaw = (sizes: number[]) =>
      rawRequest(
        server.port,
        "POST /raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
          sizes.map((size) => `${size.toString(16)}\r\n${"a".repeat(size)}\r\n`).join("") + "0\r\n\r\n",
      );

    it("accepts a chunked body of exactly the limit", async () => {
      const reply = await chunkedRaw([limit - 1, 1]);
      assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
      assert.ok(reply.endsWith(JSON.stringify({ hex: "61".repeat(limit) })));
    });

    it("answers 413 to a complete chunked body one byte over the limit", async () => {
      const reply = await chunkedRaw([limit, 1]);
      assert.match(reply, /^HTTP\/1\.1 413 Payload Too Large\r\n/);
      assert.ok(reply.endsWith(`The request body is larger than ${limit} bytes`));
    });

    it("throws a TypeError (a programmer error) when the body is read twice", async () => {
      const response = await post("/twice", "a=1");
      assert.deepEqual(await response.json(), { name: "TypeError", message: "readBody: the request body was already read" });
    });

    for (const encoding of ["gzip", "br", "deflate", "gzip, identity", "x-unknown"]) {
      it(`answers 415 for Content-Encoding ${JSON.stringify(encoding)} instead of misreading the body`, async () => {
        const response = await post("/form", "a=1", form, { "Content-Encoding": encoding });
        assert.equal(response.status, 415);
        assert.equal(await response.text(), "Compressed request bodies are not supported");
      });
    }

    it("reads a body whose Content-Encoding is identity", async () => {
      assert.deepEqual(await fieldsOf(post("/form", "a=1", form, { "Content-Encoding": " Identity " })), { a: "1" });
    });

    it("rejects a truncated upload with a 400 and keeps serving", async () => {
      observed = deferred<unknown>();
      await rawRequest(
        server.port,
        "POST /observe HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b", // then the client closes
      );
      const error = (await observed.promise) as HttpError;
      assert.equal(error.status, 400);
      assert.equal(error.publicMessage, "The request body is incomplete: the connection closed early");
      const response = await post("/form", "still=alive", form);
      assert.deepEqual(await fieldsOf(response), { still: "alive" });
    });
  });
});

describe("readBody against a large upload", () => {
  it("stops reading at the limit: of a 50 MB chunked upload the server reads under 1 MB, then answers 413", async () => {
    const serverBytesRead = deferred<number>();
    const server = await startServer(
      withErrorBoundary(async (req) => {
        req.socket.once("close", () => serverBytesRead.resolve(req.socket.bytesRead));
        await readBody(req, { maxBytes: limit });
      }, { log: () => {} }),
    );
    try {
      const socket = net.connect(server.port, "127.0.0.1");
      const received: Buffer[] = [];
      socket.on("data", (data: Buffer) => received.push(data));
      socket.on("error", () => {}); // EPIPE/ECONNRESET: the server hung up on the rest, as intended
      const closed = new Promise((resolve) => socket.once("close", resolve));
      socket.write("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
      const chunk = `10000\r\n${"a".repeat(0x10000)}\r\n`; // 64 KiB chunks
      let sent = 0;
      const pump = () => {
        while (sent < 50e6 && !socket.destroyed) {
          sent += 0x10000;
          if (!socket.write(chunk)) return void socket.once("drain", pump);
        }
      };
      pump();
      await closed;
      assert.ok((await serverBytesRead.promise) < 1e6);
      assert.match(Buffer.concat(received).toString("latin1"), /^HTTP\/1\.1 413 Payload Too Large\r\n/);
    } finally {
      await server.close();
    }
  });
});

describe("readBody programmer errors", () => {
  for (const maxBytes of [0, -1, 1.5, Number.POSITIVE_INFINITY]) {
    it(`throws a TypeError for maxBytes ${maxBytes}`, () => {
      assert.throws(() => readBody(new IncomingMessage(new Socket()), { maxBytes }), {
        name: "TypeError",
        message: `readBody "maxBytes" is invalid: must be a positive integer`,
      });
    });
  }
});
