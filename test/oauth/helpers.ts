// Test helpers for the OAuth client and the local provider: start the provider on 127.0.0.1 port 0,
// walk through its approval page like a browser would (GET /authorize, POST the form with the
// cookie it set), and a fake `fetch` that records requests and answers from a script.
import type { Server } from "node:http";
import { closeGracefully, listen } from "../../src/http/listen.ts";
import { createLocalProvider, type LocalProvider, type LocalProviderOptions } from "../../src/oauth/local-provider/create-local-provider.ts";

export const appRedirectUri = "http://127.0.0.1:1/authenticate"; // never listened on: tests read the Location

export interface RunningProvider {
  provider: LocalProvider;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startLocalProvider(options: Partial<LocalProviderOptions> = {}): Promise<RunningProvider> {
  const provider = createLocalProvider({
    clients: [{ clientId: "demo-app", redirectUris: [appRedirectUri] }],
    ...options,
  });
  const baseUrl = await listen(provider.server, { port: 0, host: "127.0.0.1" });
  return { provider, baseUrl, close: () => closeServer(provider.server) };
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await closeGracefully(server);
}

export interface ApprovalPage {
  status: number;
  headers: Headers;
  body: string;
  requestId: string | null;
  cookie: string | null;
}

/** GET the authorization URL as a browser would (no redirect following). */
export async function openAuthorizePage(url: string, cookie?: string): Promise<ApprovalPage> {
  const response = await fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
  const body = await response.text();
  const setCookie = response.headers.getSetCookie()[0];
  return {
    status: response.status,
    headers: response.headers,
    body,
    requestId: /name="request_id" value="([^"]+)"/.exec(body)?.[1] ?? null,
    cookie: setCookie ? setCookie.split(";")[0]! : (cookie ?? null),
  };
}

/** POST the approval form; returns the raw response (expect a 303 back to the client). */
export async function submitApproval(
  baseUrl: string,
  page: ApprovalPage,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${baseUrl}/authorize`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(page.cookie ? { cookie: page.cookie } : {}), ...headers },
    body: new URLSearchParams({ request_id: page.requestId ?? "", ...fields }).toString(),
  });
}

/** Approves as `username` and returns the callback URL's query (code, state, iss). */
export async function approveAs(baseUrl: string, authorizeUrl: string, username = "alice"): Promise<URLSearchParams> {
  const page = await openAuthorizePage(authorizeUrl);
  if (page.status !== 200) throw new Error(`approval page answered ${page.status}: ${page.body}`);
  const response = await submitApproval(baseUrl, page, { pick: username });
  if (response.status !== 303) throw new Error(`approval answered ${response.status}: ${await response.text()}`);
  return new URL(response.headers.get("location")!).searchParams;
}

/** The authorization URL for the local provider, with a fresh PKCE pair unless overridden. */
export function authorizeUrl(baseUrl: string, params: Record<string, string | null> = {}): string {
  const url = new URL(`${baseUrl}/authorize`);
  const defaults: Record<string, string | null> = {
    response_type: "code",
    client_id: "demo-app",
    redirect_uri: appRedirectUri,
    state: "state-123",
    code_challenge: rfc7636Challenge,
    code_challenge_method: "S256",
  };
  for (const [name, value] of Object.entries({ ...defaults, ...params })) if (value !== null) url.searchParams.set(name, value);
  return url.href;
}

// RFC 7636 Appendix B.
export const rfc7636Verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
export const rfc7636Challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/** POSTs a form to the provider (token, revoke), optionally with HTTP Basic credentials. */
export async function postForm(url: string, fields: Record<string, string>, basic?: [string, string]): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (basic) headers.authorization = `Basic ${Buffer.from(basic.map(formEncode).join(":")).toString("base64")}`;
  return fetch(url, { method: "POST", headers, body: new URLSearchParams(fields).toString() });
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

export interface RecordedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: URLSearchParams;
}

/** A fetch double: records each request and answers with the next scripted response. */
export function scriptedFetch(...answers: Array<() => Response>) {
  const requests: RecordedRequest[] = [];
  const fetchFunction = async (url: string, init: RequestInit): Promise<Response> => {
    requests.push({
      url,
      method: init.method ?? "GET",
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      body: new URLSearchParams(typeof init.body === "string" ? init.body : ""),
    });
    const answer = answers.shift();
    if (!answer) throw new Error("scriptedFetch: no answer left");
    return answer();
  };
  return { fetch: fetchFunction, requests };
}

export function jsonResponse(status: number, value: unknown): Response {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });
}
