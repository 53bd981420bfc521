// The pages step 09 adds to step 07's (whose pages and layout it reuses): the login page with "Sign in
// with <provider>", the home page of a provider sign-in, and the page shown when a sign-in fails. The
// provider home page lists what the server keeps about the sign-in, but never a token: those stay in
// the sealed session file (R24). Every value goes through html`…`, which escapes it: a provider-chosen
// name like </p><script> shows as text.
import { html, type SafeHtml } from "../../src/http/html.ts";
import { loginPage as passwordLoginPage, type LoginPageState, page } from "../07-forms/pages.ts";

/** Step 07's login page, with a link that starts a provider sign-in and comes back to `returnTo`. */
export function loginPage(state: LoginPageState & { providerName: string }): SafeHtml {
  const signInUrl = `/sign-in?returnTo=${encodeURIComponent(state.returnTo)}`;
  return passwordLoginPage({ ...state, alternative: html`<p>Or <a href="${signInUrl}">Sign in with ${state.providerName}</a>.</p>` });
}

/** What the session holds about a provider sign-in, minus the tokens themselves. */
export interface ProviderSessionFields {
  providerName: string;
  username: string;
  subject: string;
  signedInAtMs: number;
  accessTokenExpiresAtMs: number | null;
  refreshCount: number;
  hasRefreshToken: boolean;
  refreshTokenExpiresAtMs: number | null;
  scope: string | null;
  sessionEndsAtMs: number;
}

export function providerHomePage(state: { fields: ProviderSessionFields; csrfToken: string }): SafeHtml {
  const { fields } = state;
  const when = (ms: number | null, unknown: string) => (ms === null ? unknown : new Date(ms).toISOString());
  return page("Home", html`<p>Hi ${fields.username}</p>
<p>You signed in with ${fields.providerName}. This is what the server keeps about your sign-in;
the tokens themselves never leave the server.</p>
<dl>
  <dt>Username</dt><dd>${fields.username}</dd>
  <dt>Subject (the provider's stable ID for you)</dt><dd>${fields.subject}</dd>
  <dt>Signed in at</dt><dd>${when(fields.signedInAtMs, "")}</dd>
  <dt>Access token expires at</dt><dd>${when(fields.accessTokenExpiresAtMs, "the provider did not say")}</dd>
  <dt>Access token refreshed</dt><dd>${fields.refreshCount} times</dd>
  <dt>Refresh token</dt><dd>${fields.hasRefreshToken
    ? `kept on the server, expires at ${when(fields.refreshTokenExpiresAtMs, "a time the provider did not say")}`
    : "none issued"}</dd>
  <dt>Scope</dt><dd>${fields.scope ?? "none"}</dd>
  <dt>This session ends at</dt><dd>${when(fields.sessionEndsAtMs, "")}</dd>
</dl>
<form method="post" action="/sign-out">
  <input type="hidden" name="csrf" value="${state.csrfToken}">
  <button>Sign out</button>
</form>`);
}

/** A failed sign-in: the error's fixed public message, never the provider's own words. */
export function signInFailedPage(message: string): SafeHtml {
  return page("Sign-in failed", html`<p class="error" role="alert">${message}</p>
<p><a href="/login">Back to the log-in page</a></p>`);
}
