// Filling in the HTML forms of steps 05–07 the way a browser does: read the page, take the hidden
// CSRF field, post the form url-encoded with the Origin header a browser adds to every POST.
//
//   const page = await openForm(app, "/login");                      // GET, keeps the pre-session cookie
//   const res = await submitForm(app, "/login", { username, password }, { csrf: page.csrf });
//   await registerUser(app, app.newBrowser(), "alice", password);   // step 07: GET /register + POST
//   assert.equal(await homeSentence(app), 'User "alice" has 1 views'); // or "303 /login"
import assert from "node:assert/strict";
import type { Browser, StartedStep } from "./start-step.ts";

export interface OpenedForm {
  response: Response;
  html: string;
  /** The hidden `csrf` field's value, or undefined when the page has none (steps 05–06). */
  csrf: string | undefined;
}

export interface SubmitOptions {
  /** The browser (cookie jar) to use; default the app's own. */
  browser?: Browser;
  /** Added as the `csrf` field when given. */
  csrf?: string | undefined;
  /** The Origin header; default the app's own origin, null to send none. */
  origin?: string | null;
  headers?: Record<string, string>;
}

/** The value of the hidden input named `name` in `html`, unescaped; undefined if there is none. */
export function hiddenField(html: string, name: string): string | undefined {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html);
  return match?.[1]?.replaceAll("&amp;", "&").replaceAll("&quot;", '"').replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<").replaceAll("&gt;", ">");
}

export async function openForm(app: StartedStep, path: string, browser: Browser = app): Promise<OpenedForm> {
  const response = await browser.fetch(path);
  const html = await response.text();
  assert.equal(response.status, 200, `GET ${path}: ${html}`);
  return { response, html, csrf: hiddenField(html, "csrf") };
}

export function submitForm(
  app: StartedStep,
  path: string,
  fields: Record<string, string>,
  options: SubmitOptions = {},
): Promise<Response> {
  const browser = options.browser ?? app;
  const body = new URLSearchParams(fields);
  if (options.csrf !== undefined) body.set("csrf", options.csrf);
  const headers: Record<string, string> = { ...options.headers };
  const origin = options.origin === undefined ? app.baseUrl : options.origin;
  if (origin !== null) headers.origin = origin;
  return browser.fetch(path, { method: "POST", body, headers });
}

/** Opens the form at `path` in `browser` and submits `fields` with its CSRF token (step 07). */
export async function fillIn(
  app: StartedStep,
  browser: Browser,
  path: string,
  fields: Record<string, string>,
): Promise<Response> {
  const { csrf } = await openForm(app, path, browser);
  return submitForm(app, path, fields, { browser, csrf });
}

/** Step 07: registers `name` in `browser`, which is then logged in. */
export async function registerUser(app: StartedStep, browser: Browser, name: string, password: string): Promise<void> {
  const response = await fillIn(app, browser, "/register", { username: name, password, confirm: password });
  const text = await response.text();
  assert.equal(response.status, 303, text);
}

/** Step 07: logs `browser` in; returns the response (303 on success). */
export function logIn(app: StartedStep, browser: Browser, name: string, password: string): Promise<Response> {
  return fillIn(app, browser, "/login", { username: name, password });
}

/** The CSRF token on the page at `path` (a page behind login, such as "/"). */
export async function csrfOn(app: StartedStep, browser: Browser, path = "/"): Promise<string> {
  const { csrf } = await openForm(app, path, browser);
  assert.ok(csrf, `no CSRF field on ${path}`);
  return csrf;
}

/** The home page's sentence (steps 05–07), e.g. `User "alice" has 2 views`, or "303 <location>" when it redirected. */
export async function homeSentence(browser: Browser): Promise<string> {
  const response = await browser.fetch("/");
  const text = await response.text();
  if (response.status === 303) return `303 ${response.headers.get("location")}`;
  assert.equal(response.status, 200, text);
  return /<p>(User .* views)<\/p>/.exec(text)?.[1] ?? text;
}
