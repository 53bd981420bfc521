// The HTML pages of step 07. Every form has labels, `autocomplete` hints (so password managers fill
// the right fields and offer strong new passwords), the session's CSRF token in a hidden field (R19),
// and its error next to the fields, with what the user typed kept: never the password.
// Every value goes through html`…`, which escapes it: a username like </p><script> shows as text.
// Step 09 reuses these pages and page(), the layout they share.
import { html, type SafeHtml } from "../../src/http/html.ts";

interface FormState {
  csrfToken: string;
  error?: string | undefined;
}

export interface LoginPageState extends FormState {
  returnTo: string;
  username?: string;
  notice?: string | undefined;
  /** Another way in, shown below the form (step 09: "Sign in with <provider>"). */
  alternative?: SafeHtml;
}

/** The document every page shares: one stylesheet, no scripts (the Content Security Policy allows none). */
export function page(title: string, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`;
}

/** The error shown at the top of a form, announced by screen readers when the page loads. */
function formError(error: string | undefined): SafeHtml | false {
  return error !== undefined && html`
  <p class="error" role="alert">${error}</p>`;
}

/** A message shown once, after a redirect ("Password changed."), announced politely. */
function notice(message: string | undefined): SafeHtml | false {
  return message !== undefined && html`<p class="notice" role="status">${message}</p>`;
}

/** The session's synchronizer token: POSTs without it are refused with 403. */
function csrfField(csrfToken: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${csrfToken}">`;
}

export function registerPage(state: FormState & { username?: string }): SafeHtml {
  return page("Register", html`<form method="post" action="/register">${formError(state.error)}
  ${csrfField(state.csrfToken)}
  <label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required maxlength="64" value="${state.username ?? ""}">
  <label for="password">Password <small>(at least 15 characters; spaces and any letters welcome)</small></label>
  <input id="password" name="password" type="password" autocomplete="new-password" required minlength="15">
  <label for="confirm">Confirm password</label>
  <input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="15">
  <button>Register</button>
</form>
<p>Have an account? <a href="/login">Log in</a>.</p>`);
}

export function loginPage(state: LoginPageState): SafeHtml {
  return page("Log in", html`${notice(state.notice)}
<form method="post" action="/login">${formError(state.error)}
  ${csrfField(state.csrfToken)}
  <input type="hidden" name="returnTo" value="${state.returnTo}">
  <label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required value="${state.username ?? ""}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button>Log in</button>
</form>
${state.alternative}
<p>New here? <a href="/register">Register</a>.</p>`);
}

export function homePage(state: { name: string; views: number; csrfToken: string; notice?: string | undefined }): SafeHtml {
  return page("Home", html`${notice(state.notice)}
<p>User "${state.name}" has ${state.views} views</p>
<p><a href="/password">Change your password</a></p>
<form method="post" action="/logout">
  ${csrfField(state.csrfToken)}
  <button>Log out</button>
</form>`);
}

export function passwordPage(state: FormState & { name: string }): SafeHtml {
  return page("Change password", html`<form method="post" action="/password">${formError(state.error)}
  ${csrfField(state.csrfToken)}
  <input name="username" autocomplete="username" value="${state.name}" readonly hidden>
  <label for="current">Current password</label>
  <input id="current" name="current" type="password" autocomplete="current-password" required>
  <label for="password">New password <small>(at least 15 characters)</small></label>
  <input id="password" name="password" type="password" autocomplete="new-password" required minlength="15">
  <label for="confirm">Confirm new password</label>
  <input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="15">
  <button>Change password</button>
</form>
<p>This signs you out everywhere else. <a href="/">Back</a></p>`);
}
