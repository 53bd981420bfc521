import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { readServerSettings } from "../../src/config/server-settings.ts";

describe("readServerSettings", () => {
  it("defaults to port 3000 on 127.0.0.1 with data in .data/<step folder>", () => {
    assert.deepEqual(readServerSettings({}, "03-file-store"), {
      port: 3000,
      host: "127.0.0.1",
      dataDir: path.resolve(".data", "03-file-store"),
    });
  });

  it("treats empty or blank values as unset", () => {
    assert.deepEqual(readServerSettings({ PORT: "", HOST: " ", DATA_DIR: "  " }, "01-view-counter"), {
      port: 3000,
      host: "127.0.0.1",
      dataDir: path.resolve(".data", "01-view-counter"),
    });
  });

  it("reads PORT (0 lets the system pick a free port), HOST and DATA_DIR, resolving a relative folder", () => {
    assert.deepEqual(readServerSettings({ PORT: "0", HOST: "::1", DATA_DIR: "my-data" }, "09-oauth"), {
      port: 0,
      host: "::1",
      dataDir: path.resolve("my-data"),
    });
    assert.equal(readServerSettings({ PORT: " 8080 " }, "09-oauth").port, 8080);
    assert.equal(readServerSettings({ PORT: "65535" }, "09-oauth").port, 65535);
    for (const host of ["localhost", "0.0.0.0", "192.168.1.20", "::", "fe80::1%lo", "app.example.com",
      "app.example.com.", "my_service", "xn--bcher-kva.example"]) {
      assert.equal(readServerSettings({ HOST: ` ${host} ` }, "09-oauth").host, host);
    }
  });

  it("refuses a PORT that is not a whole number from 0 to 65535, naming the variable", () => {
    for (const value of ["65536", "-1", "3000abc", "1e3", "0x50", "80.5", "three thousand"]) {
      assert.throws(() => readServerSettings({ PORT: value }, "01-view-counter"), {
        name: "TypeError",
        message: `PORT is invalid: must be a whole number from 0 to 65535, got "${value}"`,
      });
    }
  });

  it("refuses a HOST with a port, a scheme, brackets or a path, naming the variable, with examples", () => {
    for (const value of ["localhost:3000", "127.0.0.1:8080", "http://127.0.0.1", "https://example.com/", "[::1]",
      "example.com/app", "127.0.0.256", "10.1", "-leading-hyphen.example", "two..dots", "a b", "x".repeat(64), `${"a.".repeat(127)}a` /* 255 characters, over the 253 a name may have */,
      "host\r\nX-Injected: 1"]) {
      assert.throws(() => readServerSettings({ HOST: value }, "01-view-counter"), {
        name: "TypeError",
        message: "HOST is invalid: must be a host name or an IP address, without scheme, port or brackets " +
          `(e.g. 127.0.0.1, ::1, 0.0.0.0 or localhost), got "${value}"`,
      });
    }
  });
});
