import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { localDemoClientId, oauthSettingsFrom, providerFromSettings, readConfigValues } from "../../src/oauth/config.ts";

const customValues = {
  PROVIDER: "custom",
  CLIENT_ID: "my-app",
  REDIRECT_URI: "https://app.example/authenticate",
  AUTHORIZATION_ENDPOINT: "https://id.example/oauth2/authorize",
  TOKEN_ENDPOINT: "https://id.example/oauth2/token",
};

describe("OAuth config", () => {
  let folder: string;
  before(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
  });
  after(() => fs.rmSync(folder, { recursive: true, force: true }));

  it("reads config.json and lets environment variables win over it", () => {
    fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify({ CLIENT_ID: "from-file", REDIRECT_URI: "http://localhost:3000/authenticate", SESSION_SECRET: "kept" }));
    const values = readConfigValues({ folder, env: { CLIENT_ID: "from-env", PROVIDER: "arcgis", EMPTY: " " } });
    assert.equal(values.CLIENT_ID, "from-env");
    assert.equal(values.REDIRECT_URI, "http://localhost:3000/authenticate");
    assert.equal(values.SESSION_SECRET, "kept"); // the tutorial's other keys stay available to the step
    assert.equal(values.EMPTY, undefined);
    assert.deepEqual(oauthSettingsFrom(values), {
      provider: "arcgis",
      clientId: "from-env",
      clientSecret: null,
      redirectUri: "http://localhost:3000/authenticate",
      portalUrl: "https://www.arcgis.com/sharing/rest",
    });
  });

  it("works without a config.json", () => {
    assert.deepEqual(Object.keys(readConfigValues({ folder: path.join(folder, "missing"), env: {} })), []);
  });

  it("defaults to the local provider with the demo client", () => {
    assert.deepEqual(oauthSettingsFrom({}), { provider: "local", clientId: localDemoClientId, clientSecret: null, redirectUri: null });
    const provider = providerFromSettings(oauthSettingsFrom({}), { localProviderUrl: "http://127.0.0.1:4000", redirectUri: "http://127.0.0.1:3000/authenticate" });
    assert.equal(provider.kind, "local");
    assert.equal(provider.tokenEndpoint, "http://127.0.0.1:4000/token");
    assert.throws(() => providerFromSettings(oauthSettingsFrom({})), {
      name: "TypeError",
      message: 'oauth "local" provider needs runtime.localProviderUrl and a redirect URI: start the local provider first',
    });
  });

  it("builds a custom provider from endpoint settings", () => {
    const settings = oauthSettingsFrom({ ...customValues, CLIENT_SECRET: "s", SCOPE: "openid profile", USERINFO_ENDPOINT: "https://id.example/userinfo", ISSUER: "https://id.example", TOKEN_ENDPOINT_AUTH_METHOD: "client_secret_post" });
    const provider = providerFromSettings(settings);
    assert.equal(provider.kind, "custom");
    assert.equal(provider.clientSecret, "s");
    assert.equal(provider.scope, "openid profile");
    assert.equal(provider.userinfoEndpoint, "https://id.example/userinfo");
    assert.equal(provider.revocationEndpoint, null);
    assert.equal(provider.issuer, "https://id.example");
    assert.equal(provider.tokenEndpointAuthMethod, "client_secret_post");
  });

  const errors: Array<[string, Record<string, string>, string]> = [
    ["an unknown PROVIDER", { PROVIDER: "github" }, 'setting "PROVIDER" is invalid: must be "local", "arcgis" or "custom", got "github"'],
    ["arcgis without CLIENT_ID", { PROVIDER: "arcgis", REDIRECT_URI: "http://localhost:3000/authenticate" },
      'setting "CLIENT_ID" is missing: set it in config.json or as an environment variable (the "Client ID" of your app at https://developers.arcgis.com/applications)'],
    ["arcgis without REDIRECT_URI", { PROVIDER: "arcgis", CLIENT_ID: "x" },
      'setting "REDIRECT_URI" is missing: set it in config.json or as an environment variable (e.g. http://localhost:3000/authenticate, registered with your ArcGIS app)'],
    ["custom without TOKEN_ENDPOINT", { PROVIDER: "custom", CLIENT_ID: "x", REDIRECT_URI: "https://app.example/cb", AUTHORIZATION_ENDPOINT: "https://id.example/a" },
      'setting "TOKEN_ENDPOINT" is missing: set it in config.json or as an environment variable (from your provider\'s documentation or its /.well-known/openid-configuration)'],
    ["a relative endpoint", { ...customValues, TOKEN_ENDPOINT: "/oauth2/token" },
      'setting "TOKEN_ENDPOINT" is invalid: must be an absolute URL such as "https://example.com/oauth2/token", got "/oauth2/token"'],
    ["a plain-http endpoint", { ...customValues, AUTHORIZATION_ENDPOINT: "http://id.example/authorize" },
      'setting "AUTHORIZATION_ENDPOINT" is invalid: must use https:// (http:// only for localhost) so codes and tokens are not sent in clear text (RFC 6749 §3.1), got "http://id.example/authorize"'],
    ["a redirect URI with a fragment", { ...customValues, REDIRECT_URI: "https://app.example/cb#x" },
      'setting "REDIRECT_URI" is invalid: must not contain a fragment "#..." (RFC 6749 §3.1.2), got "https://app.example/cb#x"'],
    ["an ISSUER that is not a URL (it would only fail at the first callback, as issuer_mismatch)", { ...customValues, ISSUER: "id.example" },
      'setting "ISSUER" is invalid: must be an absolute URL such as "https://example.com/oauth2/token", got "id.example"'],
    ["an ISSUER with a query", { ...customValues, ISSUER: "https://id.example/?tenant=1" },
      'setting "ISSUER" is invalid: must not contain a query "?..." (RFC 8414 §2, RFC 9207 §2), got "https://id.example/?tenant=1"'],
    ["an ArcGIS portal URL without /sharing/rest", { PROVIDER: "arcgis", CLIENT_ID: "x", REDIRECT_URI: "http://localhost:3000/authenticate", ARCGIS_PORTAL_URL: "https://gis.example.com/portal" },
      'setting "ARCGIS_PORTAL_URL" is invalid: must be the portal\'s REST root, ending in /sharing/rest (e.g. "https://gis.example.com/portal/sharing/rest"), got "https://gis.example.com/portal"'],
    ["an unknown auth method", { ...customValues, TOKEN_ENDPOINT_AUTH_METHOD: "private_key_jwt" },
      'setting "TOKEN_ENDPOINT_AUTH_METHOD" is invalid: must be "client_secret_basic" or "client_secret_post", got "private_key_jwt"'],
  ];
  for (const [name, values, message] of errors) {
    it(`stops start-up with a TypeError for ${name}`, () => {
      assert.throws(() => oauthSettingsFrom(values), { name: "TypeError", message });
    });
  }

  it("never echoes CLIENT_SECRET in an error", () => {
    try {
      oauthSettingsFrom({ PROVIDER: "arcgis", CLIENT_SECRET: "super-secret-value" });
      assert.fail("expected a TypeError");
    } catch (error) {
      assert.ok(!(error as Error).message.includes("super-secret-value"));
    }
  });

  it("refuses a config.json that is not a JSON object of strings, naming the file and key", () => {
    const file = path.join(folder, "config.json");
    fs.writeFileSync(file, "{ CLIENT_ID: x }");
    assert.throws(() => readConfigValues({ folder, env: {} }), {
      name: "TypeError",
      message: `config file "${file}" is invalid: must be JSON like {"CLIENT_ID": "...", "REDIRECT_URI": "..."}`,
    });
    fs.writeFileSync(file, "[]");
    assert.throws(() => readConfigValues({ folder, env: {} }), { message: `config file "${file}" is invalid: must be one JSON object of "KEY": "value" pairs` });
    fs.writeFileSync(file, '{"CLIENT_ID": 42}');
    assert.throws(() => readConfigValues({ folder, env: {} }), { message: `setting "CLIENT_ID" in "${file}" is invalid: must be a string in quotes` });
  });
});
