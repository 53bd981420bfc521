// Starting step 09 for a test, and playing the browser through an OAuth sign-in.
// startOAuthStep() is startStep("09") with cheap password hashes (also after restart) and what only
// step 09 takes: an injected `fetch` (the app's requests to the provider) and a short provider
// timeout. A browser's fetch also takes absolute URLs, so one cookie jar visits the app and the
// provider, as a real browser on 127.0.0.1 does (cookies ignore ports); localProviderUrl() is where
// the bundled provider listens. recordTokens() wraps fetch and keeps every token the provider issued:
// tests need them to replay a refresh token or to prove no page ever shows one.
import assert from "node:assert/strict";
import type { FetchFunction } from "../../src/oauth/http-client.ts";
import { type Browser, type StartedStep, startStep } from "./start-step.ts";

export interface OAuthStepTestOptions {
  env?: Record<string, string | undefined>;
  now?: () => number;
  fetch?: FetchFunction;
  providerTimeoutMs?: number;
}

export type StartedOAuthStep = StartedStep;

export async function startOAuthStep(options: OAuthStepTestOptions = {}): Promise<StartedOAuthStep> {
  const { env, now, ...stepOptions } = options;
  const withFastHashes = (settings: Record<string, string | undefined> = {}) => ({ SCRYPT_PARAMS: "fast-for-tests", ...settings });
  const app = await startStep("09", { env: withFastHashes(env), now, stepOptions });
  const { restart } = app;
  app.restart = (restartOptions = {}) => restart(restartOptions.env ? { env: withFastHashes(restartOptions.env) } : {});
  return app;
}

/** The bundled provider's base URL, from the second line start() printed (PROVIDER=local); else null. */
export function localProviderUrl(app: StartedStep): string | null {
  return /(http:\/\/\S+)$/.exec(app.lines[1] ?? "")?.[1] ?? null;
}

/** A fetch that passes every request through and keeps the tokens of each successful token response. */
export function recordTokens(): { fetch: FetchFunction; accessTokens: string[]; refreshTokens: string[] } {
  const accessTokens: string[] = [];
  const refreshTokens: string[] = [];
  const recording: FetchFunction = async (url, init) => {
    const response = await fetch(url, init);
    if (new URL(url).pathname.endsWith("/token") && response.ok) {
      const body = (await response.clone().json()) as { access_token?: string; refresh_token?: string };
      if (body.access_token) accessTokens.push(body.access_token);
      if (body.refresh_token) refreshTokens.push(body.refresh_token);
    }
    return response;
  };
  return { fetch: recording, accessTokens, refreshTokens };
}

/** GET /sign-in: the provider's authorization URL (303 Location) and the state in it. */
export async function startSignIn(browser: Browser, requestPath = "/sign-in"): Promise<{ response: Response; authorizeUrl: URL; state: string }> {
  const response = await browser.fetch(requestPath);
  await response.text();
  assert.equal(response.status, 303, `GET ${requestPath}`);
  const authorizeUrl = new URL(response.headers.get("location") ?? "");
  return { response, authorizeUrl, state: authorizeUrl.searchParams.get("state") ?? "" };
}

/**
 * At the provider: opens the approval page and posts it (default: approve as "alice").
 * Returns the URL the provider sends the browser back to (its 303 Location).
 */
export async function answerAtProvider(browser: Browser, authorizeUrl: URL, fields: Record<string, string> = { pick: "alice" }): Promise<URL> {
  const page = await browser.fetch(authorizeUrl.href);
  const html = await page.text();
  assert.equal(page.status, 200, html);
  const requestId = /name="request_id" value="([^"]+)"/.exec(html)?.[1];
  assert.ok(requestId, "the approval page has a request_id");
  const response = await browser.fetch(`${authorizeUrl.origin}/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: authorizeUrl.origin },
    body: new URLSearchParams({ request_id: requestId, ...fields }),
  });
  await response.text();
  assert.equal(response.status, 303, "the provider answers the approval form with 303");
  return new URL(response.headers.get("location") ?? "");
}

/** The callback URL moved onto the app (for a REDIRECT_URI that names a port nobody listens on). */
export function callbackOnApp(app: StartedStep, callback: URL): string {
  return `${app.baseUrl}${callback.pathname}${callback.search}`;
}

/** /sign-in → provider → approve → /authenticate. Returns the callback's response (303 on success). */
export async function signInWithProvider(app: StartedStep, browser: Browser, username = "alice"): Promise<{ response: Response; callback: URL }> {
  const { authorizeUrl } = await startSignIn(browser);
  const callback = await answerAtProvider(browser, authorizeUrl, { pick: username });
  const response = await browser.fetch(callbackOnApp(app, callback));
  await response.text();
  return { response, callback };
}
