// The HTML pages of step 06: step 05's forms with password fields (and a confirmation on register).
// Every value goes through html`…`, which escapes it: a username like </p><script> shows as text.
import { html, type SafeHtml } from "../../src/http/html.ts";

function page(title: string, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>${title}</title>
<h1>${title}</h1>
${body}
</html>
`;
}

/** The error above a form, if there is one. */
function errorMessage(error: string | undefined): SafeHtml | false {
  return error !== undefined && html`<p role="alert">${error}</p>`;
}

export function registerPage(error?: string): SafeHtml {
  return page("Register", html`${errorMessage(error)}
<form method="post" action="/register">
  <label>Username <input name="username" required></label>
  <label>Password <input name="password" type="password" required></label>
  <label>Confirm password <input name="confirm" type="password" required></label>
  <button>Register</button>
</form>
<p>Have an account? <a href="/login">Log in</a>.</p>`);
}

export function loginPage(error?: string): SafeHtml {
  return page("Log in", html`${errorMessage(error)}
<form method="post" action="/login">
  <label>Username <input name="username" required></label>
  <label>Password <input name="password" type="password" required></label>
  <button>Log in</button>
</form>
<p>New here? <a href="/register">Register</a>.</p>`);
}

export function homePage(name: string, views: number): SafeHtml {
  return page("Home", html`<p>User "${name}" has ${views} views</p>
<form method="post" action="/logout"><button>Log out</button></form>`);
}
