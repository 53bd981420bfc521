// The local provider's userinfo endpoint (RFC 6750 Bearer).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClock } from "../../helpers/clock.ts";
import { appRedirectUri, approveAs, authorizeUrl, postForm, rfc7636Verifier, startLocalProvider, type RunningProvider } from "../helpers.ts";

describe("local provider: GET /userinfo", () => {
  const clock = createClock();
  let running: RunningProvider;
  let accessToken: string;
  before(async () => {
    running = await startLocalProvider({ now: clock.now });
    const code = (await approveAs(running.baseUrl, authorizeUrl(running.baseUrl), "Ada")).get("code")!;
    const response = await postForm(`${running.baseUrl}/token`, {
      grant_type: "authorization_code", code, redirect_uri: appRedirectUri, code_verifier: rfc7636Verifier, client_id: "demo-app",
    });
    accessToken = ((await response.json()) as { access_token: string }).access_token;
  });
  after(() => running.close());

  const userinfo = (headers: Record<string, string> = {}, query = "") => fetch(`${running.baseUrl}/userinfo${query}`, { headers });

  it("answers the user's claims for a valid Bearer token, uncached", async () => {
    const response = await userinfo({ authorization: `Bearer ${accessToken}` });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.deepEqual(await response.json(), { sub: "local:ada", preferred_username: "Ada", name: "Ada" });
  });

  it("answers 401 with a bare Bearer challenge when no token is sent (RFC 6750 §3.1)", async () => {
    const response = await userinfo();
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="local-provider"');
  });

  const invalid: Array<[string, Record<string, string>, string]> = [
    ["an unknown token", { authorization: `Bearer ${"x".repeat(43)}` }, ""],
    ["Basic credentials", { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }, ""],
    ["a Bearer header without a token", { authorization: "Bearer" }, ""],
    ["a token in the query string only (RFC 6750 §2.3 is not supported)", { authorization: "Bearer nope" }, "?access_token=TOKEN"],
  ];
  for (const [name, headers, query] of invalid) {
    it(`answers 401 invalid_token for ${name}`, async () => {
      const response = await userinfo(headers, query.replace("TOKEN", accessToken));
      assert.equal(response.status, 401);
      assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="local-provider", error="invalid_token"');
      assert.equal(((await response.json()) as { error: string }).error, "invalid_token");
    });
  }

  it("answers 405 to POST", async () => {
    const response = await fetch(`${running.baseUrl}/userinfo`, { method: "POST", headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(response.status, 405);
  });

  it("refuses the access token once it expired (10 minutes)", async () => {
    clock.advance(10 * 60 * 1000 - 1);
    assert.equal((await userinfo({ authorization: `Bearer ${accessToken}` })).status, 200);
    clock.advance(1);
    assert.equal((await userinfo({ authorization: `Bearer ${accessToken}` })).status, 401);
  });
});
