// The HTML of the local provider: the approval page (pick a demo user or type a name, approve or
// deny) and the error page shown when the request cannot be sent back to the client at all.
// Every value is escaped by html`…` (client IDs, usernames and scopes are request data). The form
// carries one hidden field, `request_id`: the single-use ticket of this request, bound server-side to
// the browser's cookie (authorize-endpoint.ts explains the CSRF defence).
// The first submit button is the "typed name" one, so pressing Enter in the text field submits that
// and not the first demo user (HTML "implicit submission" uses the form's first submit button).
import { html, type SafeHtml } from "../../http/html.ts";

export interface ApprovalPageData {
  requestId: string;
  clientId: string;
  redirectOrigin: string;
  scope: string;
  users: readonly string[];
  typedUsername?: string;
  error?: string;
}

export function approvalPage(data: ApprovalPageData): SafeHtml {
  return layout(
    "Sign in",
    html`<p><strong>This is a demo provider bundled with node-sessions-from-scratch, for learning.</strong>
It has no passwords: anyone can be anyone. Never use it for real accounts.</p>
<p>The app <strong>${data.clientId}</strong> asks to know your name (scope: ${data.scope}).
After you decide you go back to <code>${data.redirectOrigin}</code>.</p>
<form method="post" action="/authorize">
<input type="hidden" name="request_id" value="${data.requestId}">
${data.error ? html`<p role="alert"><strong>${data.error}</strong></p>` : ""}
<p><label for="typed_username">Type a name</label>
<input id="typed_username" name="typed_username" maxlength="64" autocomplete="username" value="${data.typedUsername ?? ""}">
<button type="submit" name="decision" value="approve">Continue with this name</button></p>
<fieldset><legend>Or pick a demo user</legend>
${data.users.map((user) => html`<button type="submit" name="pick" value="${user}">Continue as ${user}</button> `)}
</fieldset>
<p><button type="submit" name="decision" value="deny">Deny</button></p>
</form>`,
  );
}

export function errorPage(message: string): SafeHtml {
  return layout("Sign-in request refused", html`<p role="alert">${message}</p>
<p>Go back to the app and start the sign-in again. (Local demo provider: a teaching aid.)</p>`);
}

function layout(title: string, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · local demo provider</title>
</head>
<body>
<main>
<h1>${title} · local demo provider</h1>
${body}
</main>
</body>
</html>
`;
}
