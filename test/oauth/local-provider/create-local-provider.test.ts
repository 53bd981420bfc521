// Options of the local provider, and its issuer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLocalProvider } from "../../../src/oauth/local-provider/create-local-provider.ts";
import { appRedirectUri, closeServer, startLocalProvider } from "../helpers.ts";
import { listen } from "../../../src/http/listen.ts";

describe("createLocalProvider", () => {
  it("derives the issuer from the listening address, or uses options.issuer", async () => {
    const provider = createLocalProvider({ clients: [{ clientId: "a", redirectUris: [] }] });
    assert.throws(() => provider.issuer(), {
      name: "TypeError",
      message: 'local provider "issuer" is unknown: pass options.issuer or call issuer() after the server listens',
    });
    const baseUrl = await listen(provider.server, { port: 0, host: "127.0.0.1" });
    try {
      assert.equal(provider.issuer(), baseUrl);
    } finally {
      await closeServer(provider.server);
    }
    const fixed = createLocalProvider({ clients: [{ clientId: "a", redirectUris: [] }], issuer: "https://id.example/" });
    assert.equal(fixed.issuer(), "https://id.example");
  });

  it("registers a redirect URI after start, exactly as given", async () => {
    const running = await startLocalProvider({ clients: [{ clientId: "demo-app", redirectUris: [] }] });
    try {
      const url = `${running.baseUrl}/authorize?response_type=code&client_id=demo-app&redirect_uri=${encodeURIComponent(appRedirectUri)}&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256`;
      assert.equal((await fetch(url)).status, 400);
      running.provider.registerRedirectUri("demo-app", appRedirectUri);
      assert.equal((await fetch(url)).status, 200);
    } finally {
      await running.close();
    }
  });

  const invalid: Array<[string, () => unknown, string]> = [
    ["no clients", () => createLocalProvider({ clients: [] }), 'local provider "clients" is invalid: must list at least one { clientId, redirectUris }'],
    ["an empty client id", () => createLocalProvider({ clients: [{ clientId: "", redirectUris: [] }] }), 'local provider "clientId" is invalid: must be 1 to 128 printable ASCII characters'],
    ["a public client without PKCE", () => createLocalProvider({ clients: [{ clientId: "a", redirectUris: [], requirePkce: false }] }),
      'local provider client "a" is invalid: a public client must use PKCE (RFC 9700 §2.1.1)'],
    ["a redirect URI with a fragment", () => createLocalProvider({ clients: [{ clientId: "a", redirectUris: ["https://a.example/cb#x"] }] }),
      'local provider "redirectUri" is invalid: must not contain a fragment "#..." (RFC 6749 §3.1.2), got "https://a.example/cb#x"'],
    ["an invalid demo user", () => createLocalProvider({ clients: [{ clientId: "a", redirectUris: [] }], users: ["a\nb"] }), 'local provider "users" is invalid: "a\nb" is not a valid username'],
    ["a fractional token lifetime", () => createLocalProvider({ clients: [{ clientId: "a", redirectUris: [] }], accessTokenLifetimeSeconds: 0.5 }),
      'local provider "accessTokenLifetimeSeconds" is invalid: must be a whole number of seconds above 0'],
    ["an http issuer that is not loopback", () => createLocalProvider({ clients: [{ clientId: "a", redirectUris: [] }], issuer: "http://id.example" }),
      'local provider "issuer" is invalid: must use https:// (http:// only for localhost) so codes and tokens are not sent in clear text (RFC 6749 §3.1), got "http://id.example"'],
    ["registering for an unknown client", () => createLocalProvider({ clients: [{ clientId: "a", redirectUris: [] }] }).registerRedirectUri("b", appRedirectUri),
      'local provider client "b" is unknown: register it in "clients" first'],
  ];
  for (const [name, create, message] of invalid) {
    it(`throws a TypeError at creation for ${name}`, () => {
      assert.throws(create, { name: "TypeError", message });
    });
  }
});
