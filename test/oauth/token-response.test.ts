import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OAuthProtocolError, OAuthTokenError } from "../../src/oauth/errors.ts";
import { parseTokenResponse } from "../../src/oauth/token-response.ts";

const now = () => 1_000_000;
const answer = (status: number, body: unknown) => ({
  status,
  contentType: "application/json",
  text: typeof body === "string" ? body : JSON.stringify(body),
});

describe("parseTokenResponse", () => {
  it("reads an RFC 6749 §5.1 answer into tokens with absolute expiry times", () => {
    const result = parseTokenResponse(
      answer(200, { access_token: "at-1", token_type: "bearer", expires_in: 3600, refresh_token: "rt-1", scope: "profile", id_token: "ignored" }),
      { dialect: "standard", now },
    );
    assert.deepEqual(result, {
      ok: true,
      value: {
        accessToken: "at-1", tokenType: "Bearer", expiresAtMs: 1_000_000 + 3_600_000, refreshToken: "rt-1",
        refreshTokenExpiresAtMs: null, scope: "profile", username: null,
      },
    });
  });

  it("reads ArcGIS's answer: no token_type, username and refresh_token_expires_in", () => {
    const result = parseTokenResponse(
      answer(200, { access_token: "at-1", expires_in: 1800, username: "jsmith", ssl: true, refresh_token: "rt-1", refresh_token_expires_in: 1209599 }),
      { dialect: "arcgis", now },
    );
    assert.ok(result.ok);
    assert.equal(result.value.username, "jsmith");
    assert.equal(result.value.expiresAtMs, 1_000_000 + 1_800_000);
    assert.equal(result.value.refreshTokenExpiresAtMs, 1_000_000 + 1_209_599_000);
  });

  it("treats ArcGIS's HTTP 200 with an error object as a refusal (OAuthTokenError), not as tokens", () => {
    const body = { error: { code: 400, error: "invalid_request", error_description: "Invalid redirect_uri", message: "Invalid redirect_uri", details: [] } };
    const result = parseTokenResponse(answer(200, body), { dialect: "arcgis", now });
    assert.ok(!result.ok);
    assert.ok(result.error instanceof OAuthTokenError);
    assert.equal(result.error.code, "invalid_request");
    assert.equal(result.error.description, "Invalid redirect_uri");
    assert.equal(result.error.message, "the provider's token endpoint refused the request: invalid_request");
    const numeric = parseTokenResponse(answer(200, { error: { code: 498, message: "Invalid token." } }), { dialect: "arcgis", now });
    assert.ok(!numeric.ok);
    assert.equal(numeric.error.code, "498");
  });

  it("reads an RFC 6749 §5.2 error, with its description cleaned of control characters", () => {
    const result = parseTokenResponse(answer(400, { error: "invalid_grant", error_description: "code\r\nexpired" }), { dialect: "standard", now });
    assert.ok(!result.ok && result.error instanceof OAuthTokenError);
    assert.equal(result.error.code, "invalid_grant");
    assert.equal(result.error.description, "code expired");
    assert.equal(result.error.httpStatus, 400);
  });

  it("keeps every kind of line break out of the provider text it logs (NEL, LS, PS, C1 controls)", () => {
    const forged = "invalid_grant\u0085FAKE LOG LINE\u2028another\u2029and\u009bmore";
    const result = parseTokenResponse(answer(400, { error: forged, error_description: forged }), { dialect: "standard", now });
    assert.ok(!result.ok && result.error instanceof OAuthTokenError);
    assert.equal(result.error.code, "invalid_grant FAKE LOG LINE another and more");
    assert.equal(result.error.description, "invalid_grant FAKE LOG LINE another and more");
    assert.doesNotMatch(result.error.message, /[\u0085\u2028\u2029\u009b]/);
  });

  // An outage must never read as "the grant is gone": the app signs users out for a refusal, not for these.
  const providerFailures: Array<[string, number, unknown, "standard" | "arcgis", string]> = [
    ["HTTP 503 with temporarily_unavailable", 503, { error: "temporarily_unavailable" }, "standard", "http_status"],
    ["HTTP 500 with server_error", 500, { error: "server_error", error_description: "db down" }, "standard", "http_status"],
    ["HTTP 503 with invalid_grant (a proxy's or a broken provider's body)", 503, { error: "invalid_grant" }, "standard", "http_status"],
    ["ArcGIS's HTTP 500 with an error object", 500, { error: { code: 500, message: "Unable to generate token." } }, "arcgis", "http_status"],
    ["HTTP 429, rate limited", 429, { error: "rate_limit_exceeded" }, "standard", "http_status"],
    ["HTTP 429 with Google's error object", 429, { error: { code: 429, message: "Quota exceeded" } }, "standard", "http_status"],
    ["HTTP 408, the provider gave up waiting", 408, { error: "timeout" }, "standard", "http_status"],
    ["HTTP 400 with temporarily_unavailable", 400, { error: "temporarily_unavailable" }, "standard", "provider_failure"],
    ["HTTP 200 with server_error", 200, { error: "server_error" }, "standard", "provider_failure"],
    ["ArcGIS's HTTP 200 with code 500", 200, { error: { code: 500, message: "Unable to generate token.", details: [] } }, "arcgis", "provider_failure"],
    ["ArcGIS's HTTP 200 with code 503 and an error name", 200, { error: { code: 503, error: "invalid_request", message: "Busy" } }, "arcgis", "provider_failure"],
    ["ArcGIS's HTTP 200 with code 429", 200, { error: { code: 429, message: "Too many requests" } }, "arcgis", "provider_failure"],
  ];
  for (const [name, status, body, dialect, code] of providerFailures) {
    it(`treats ${name} as the provider failing (OAuthProtocolError ${code}, 502), not as a refusal`, () => {
      const result = parseTokenResponse(answer(status, body), { dialect, now });
      assert.ok(!result.ok);
      assert.ok(result.error instanceof OAuthProtocolError, result.error.name);
      assert.equal(result.error.code, code);
      assert.equal(result.error.httpStatus, 502);
      assert.equal(result.error.publicMessage, "The sign-in provider is not answering correctly right now. Please try again later.");
    });
  }

  it("still treats ArcGIS's HTTP 200 with a code below 500 as a refusal", () => {
    for (const code of [400, 498, 499]) {
      const result = parseTokenResponse(answer(200, { error: { code, message: "Invalid token." } }), { dialect: "arcgis", now });
      assert.ok(!result.ok && result.error instanceof OAuthTokenError, String(code));
      assert.equal(result.error.code, String(code));
    }
  });

  const malformed: Array<[string, number, unknown, string]> = [
    ["HTML from a proxy", 200, "<html>oops</html>", "not_json"],
    ["an empty 200", 200, "", "not_json"],
    ["a 503 without JSON", 503, "Service Unavailable", "http_status"],
    ["a 500 with a JSON body that is not an error", 500, { hello: "world" }, "http_status"],
    ["a JSON array", 200, [], "malformed_response"],
    ["JSON null", 200, "null", "malformed_response"],
    ["no access_token", 200, { token_type: "Bearer" }, "malformed_response"],
    ["a numeric access_token", 200, { access_token: 42, token_type: "Bearer" }, "malformed_response"],
    ["an empty access_token", 200, { access_token: "", token_type: "Bearer" }, "malformed_response"],
    ["an access_token with CR LF (header injection later)", 200, { access_token: "a\r\nX-Evil: 1", token_type: "Bearer" }, "malformed_response"],
    ["an access_token of 9000 characters", 200, { access_token: "a".repeat(9000), token_type: "Bearer" }, "malformed_response"],
    ["no token_type from a standard provider", 200, { access_token: "at" }, "malformed_response"],
    ["a MAC token_type", 200, { access_token: "at", token_type: "mac" }, "malformed_response"],
    ["expires_in as a string", 200, { access_token: "at", token_type: "Bearer", expires_in: "3600" }, "malformed_response"],
    ["a negative expires_in", 200, { access_token: "at", token_type: "Bearer", expires_in: -1 }, "malformed_response"],
    ["a numeric refresh_token", 200, { access_token: "at", token_type: "Bearer", refresh_token: 1 }, "malformed_response"],
    ["a scope that is not a string", 200, { access_token: "at", token_type: "Bearer", scope: ["a"] }, "malformed_response"],
    ["an empty username", 200, { access_token: "at", token_type: "Bearer", username: " " }, "malformed_response"],
  ];
  for (const [name, status, body, code] of malformed) {
    it(`refuses ${name} → ${code}`, () => {
      const result = parseTokenResponse(answer(status, body), { dialect: "standard", now });
      assert.ok(!result.ok);
      assert.ok(result.error instanceof OAuthProtocolError);
      assert.equal(result.error.code, code);
      assert.equal(result.error.httpStatus, 502);
    });
  }

  it("caps absurd lifetimes at 10 years, so an expiry is always a real date (never Infinity, never past year 275760)", () => {
    const tenYearsMs = 10 * 365 * 24 * 3600 * 1000;
    for (const huge of [1e13, 1e306, Number.MAX_VALUE]) {
      const result = parseTokenResponse(
        answer(200, { access_token: "at", token_type: "Bearer", expires_in: huge, refresh_token: "rt", refresh_token_expires_in: huge }),
        { dialect: "standard", now },
      );
      assert.ok(result.ok, String(huge));
      assert.equal(result.value.expiresAtMs, 1_000_000 + tenYearsMs, String(huge));
      assert.equal(result.value.refreshTokenExpiresAtMs, 1_000_000 + tenYearsMs, String(huge));
      // What the app does with it: store it as JSON in the session, show it as a date.
      assert.equal(JSON.parse(JSON.stringify(result.value)).expiresAtMs, result.value.expiresAtMs);
      assert.doesNotThrow(() => new Date(result.value.expiresAtMs!).toISOString());
    }
  });

  it("never puts a token into an error message", () => {
    const result = parseTokenResponse(answer(200, { access_token: "secret-token-value", token_type: "mac" }), { dialect: "standard", now });
    assert.ok(!result.ok);
    assert.ok(!result.error.message.includes("secret-token-value"));
  });
});
