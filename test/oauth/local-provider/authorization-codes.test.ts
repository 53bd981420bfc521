// Authorization codes without HTTP: replay memory and bounded memory (the rest is over HTTP in
// token-endpoint.test.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AuthorizationCodes } from "../../../src/oauth/local-provider/authorization-codes.ts";
import { TokenFamilies } from "../../../src/oauth/local-provider/token-families.ts";
import { createClock } from "../../helpers/clock.ts";

const grant = { clientId: "app", redirectUri: "http://127.0.0.1:3000/callback", codeChallenge: null, username: "alice", scope: "profile" };

function codes(maxEntries?: number) {
  const clock = createClock();
  const families = new TokenFamilies({ now: clock.now, accessTokenLifetimeSeconds: 600, refreshTokenLifetimeSeconds: 3600 });
  return { clock, codes: new AuthorizationCodes({ families, now: clock.now, maxEntries }) };
}

const redeem = (store: AuthorizationCodes, code: string) =>
  store.redeem({ code, clientId: "app", redirectUri: grant.redirectUri, codeVerifier: undefined });

describe("AuthorizationCodes", () => {
  it("stays bounded: past maxEntries the oldest code is dropped, the newer ones still redeem", () => {
    const { codes: store } = codes(3);
    const issued = Array.from({ length: 4 }, () => store.issue(grant));
    assert.deepEqual(redeem(store, issued[0]!), { ok: false, error: "invalid_grant", description: "the code is unknown or expired" });
    for (const code of issued.slice(1)) assert.equal(redeem(store, code).ok, true);
  });

  it("remembers a used code for ten minutes, so its replay is caught; then forgets it", () => {
    const { clock, codes: store } = codes();
    const code = store.issue(grant);
    assert.equal(redeem(store, code).ok, true);
    clock.advance(10 * 60_000 - 1);
    store.issue(grant); // issuing is what prunes
    assert.match((redeem(store, code) as { description: string }).description, /already used/);
    clock.advance(1);
    const fresh = store.issue(grant);
    assert.match((redeem(store, code) as { description: string }).description, /unknown or expired/);
    assert.equal(redeem(store, fresh).ok, true, "the prune stops at live codes, it doesn't drop them");
  });
});
