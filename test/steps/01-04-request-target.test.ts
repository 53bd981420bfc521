// Steps 01–04 route their one page by hand: the request-target's path, in either form a server must
// accept (RFC 9112 §3.2.1 origin-form "/?q", §3.2.2 absolute-form "http://host/?q").
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import http from "node:http";
import { startStep } from "../helpers/start-step.ts";

const targets: Array<[target: (host: string) => string, status: number]> = [
  [() => "/?from=origin-form", 200],
  [(host) => `http://${host}/`, 200],
  [(host) => `http://${host}/?a=1?b`, 200],
  [(host) => `http://${host}`, 200], // an empty path means "/" (RFC 3986 §6.2.3)
  [(host) => `http://${host}/elsewhere`, 404],
  [() => "/elsewhere?x=/", 404],
  [() => "*", 404], // asterisk-form is for OPTIONS only; never the page
];

// node:http's client sends `path` as the request line's target, as given (fetch would send origin-form).
function get(baseUrl: string, target: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.get({ hostname, port, path: target, agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode!, body }));
    });
    request.on("error", reject);
  });
}

for (const step of ["01", "02", "03", "04"]) {
  describe(`step ${step}: request-target forms`, () => {
    it("serves the page for its path in origin- or absolute-form, and 404 for any other", async () => {
      const app = await startStep(step);
      try {
        const host = new URL(app.baseUrl).host;
        for (const [target, status] of targets) {
          const reply = await get(app.baseUrl, target(host));
          assert.equal(reply.status, status, target(host));
          if (status === 200) assert.equal(reply.body, "Views: 1");
        }
      } finally {
        await app.close();
      }
    });
  });
}
