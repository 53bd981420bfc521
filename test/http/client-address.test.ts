import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import { clientAddress } from "../../src/http/client-address.ts";

function request(headers: Record<string, string | string[]>, remoteAddress: string | null = "192.0.2.10"): IncomingMessage {
  return { headers, socket: { remoteAddress: remoteAddress ?? undefined } } as unknown as IncomingMessage;
}

describe("clientAddress", () => {
  it("is the connection's address without a trusted proxy, whatever X-Forwarded-For claims", () => {
    assert.equal(clientAddress(request({ "x-forwarded-for": "203.0.113.5" }), { trustProxy: false }), "192.0.2.10");
    assert.equal(clientAddress(request({}), { trustProxy: false }), "192.0.2.10");
  });

  it("is the last X-Forwarded-For entry behind a trusted proxy: the one the proxy added", () => {
    const trusted = { trustProxy: true };
    assert.equal(clientAddress(request({ "x-forwarded-for": "203.0.113.5" }), trusted), "203.0.113.5");
    assert.equal(clientAddress(request({ "x-forwarded-for": "1.2.3.4, 203.0.113.5" }), trusted), "203.0.113.5");
    assert.equal(clientAddress(request({ "x-forwarded-for": ["1.2.3.4", "2001:db8::1"] }), trusted), "2001:db8::1");
  });

  it("drops a port the proxy appended (Azure, IIS ARR), so clients don't all share the proxy's address", () => {
    const trusted = { trustProxy: true };
    const cases: Array<[header: string, expected: string]> = [
      ["203.0.113.5:51234", "203.0.113.5"],
      ["1.2.3.4, 203.0.113.5:443", "203.0.113.5"],
      ["[2001:db8::1]:51234", "2001:db8::1"],
      ["[2001:db8::1]", "2001:db8::1"],
      ["[::ffff:203.0.113.5]:80", "::ffff:203.0.113.5"],
    ];
    for (const [header, expected] of cases) assert.equal(clientAddress(request({ "x-forwarded-for": header }), trusted), expected, header);
    for (const value of ["203.0.113.5:", "203.0.113.5:123456", "[2001:db8::1]:", "[evil.example]:80", "300.1.1.1:80", "2001:db8::1:80:"]) {
      assert.equal(clientAddress(request({ "x-forwarded-for": value }), trusted), "192.0.2.10", value);
    }
  });

  it("falls back to the connection's address when the header is missing or not an IP address", () => {
    const trusted = { trustProxy: true };
    for (const value of ["", "   ", "unknown", "203.0.113.5, ", "evil.example", "1.2.3.4, <script>", "300.1.1.1"]) {
      assert.equal(clientAddress(request({ "x-forwarded-for": value }), trusted), "192.0.2.10", value);
    }
    assert.equal(clientAddress(request({}), trusted), "192.0.2.10");
  });

  it("is undefined when the socket has no address (already closed)", () => {
    assert.equal(clientAddress(request({}, null), { trustProxy: false }), undefined);
  });
});
