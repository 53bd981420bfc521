// The local provider's userinfo endpoint (OpenID Connect Core §5.3 shape): GET with
// `Authorization: Bearer <access token>` (RFC 6750 §2.1; tokens in the query string are not accepted,
// §2.3 discourages them: URLs end up in logs). Answers { sub, preferred_username, name }.
// A missing token → 401 with a bare `WWW-Authenticate: Bearer` challenge; an unknown, expired or
// revoked one → 401 `error="invalid_token"` (RFC 6750 §3, §3.1). Never throws for bad input.
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "../../http/respond.ts";
import { usernameKey } from "../../users/username.ts";
import type { LocalProviderContext } from "./create-local-provider.ts";

// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="  (RFC 6750 §2.1)
const bearerRegExp = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const realm = 'Bearer realm="local-provider"';

export function handleUserinfoRequest(context: LocalProviderContext, req: IncomingMessage, res: ServerResponse): void {
  const header = req.headers.authorization;
  if (header === undefined) {
    const body = { error: "invalid_request", error_description: "an access token is required" };
    return sendJson(res, 401, body, { "WWW-Authenticate": realm });
  }
  const token = bearerRegExp.exec(header)?.[1];
  const grant = token === undefined ? null : context.families.lookupAccessToken(token);
  if (grant === null) {
    return sendJson(res, 401, { error: "invalid_token", error_description: "the access token is invalid, expired or revoked" }, {
      "WWW-Authenticate": `${realm}, error="invalid_token"`,
    });
  }
  sendJson(
    res,
    200,
    // sub is stable per user (OIDC Core §5.7): the name's comparison key, so "Alice" and "alice" are one.
    { sub: `local:${usernameKey(grant.username)}`, preferred_username: grant.username, name: grant.username },
    { "Cache-Control": "no-store" },
  );
}
