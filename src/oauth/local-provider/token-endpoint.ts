// The local provider's token endpoint (RFC 6749 §3.2): POST, form-encoded, client authenticated
// (clients.ts), grant_type `authorization_code` (§4.1.3, PKCE §4.6 of RFC 7636) or `refresh_token`
// (§6, rotated with reuse detection: token-families.ts). Answers JSON with `Cache-Control: no-store`
// and `Pragma: no-cache` (§5.1); errors are §5.2 JSON objects: 400, or 401 invalid_client with a
// WWW-Authenticate challenge. A malformed, oversized or non-form body is a §5.2 `invalid_request`
// too, so a client always gets JSON it can parse. Never throws for bad input.
import type { IncomingMessage, ServerResponse } from "node:http";
import { readForm } from "../../http/body.ts";
import { HttpError } from "../../http/http-error.ts";
import { sendJson } from "../../http/respond.ts";
import type { LocalClient } from "./clients.ts";
import type { LocalProviderContext } from "./create-local-provider.ts";
import type { IssuedTokens } from "./token-families.ts";

const tokenHeaders = { "Cache-Control": "no-store", Pragma: "no-cache" };

/** An RFC 6749 §5.2 error response. */
export function sendOAuthError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error, error_description: description }, { ...tokenHeaders, ...headers });
}

/**
 * The form and the client that authenticated with it (§2.3), or null after answering the §5.2 error:
 * a body problem is `invalid_request`, bad credentials `invalid_client` (401 with a challenge).
 * Shared by the token and the revocation endpoint (RFC 7009 §2.1 authenticates clients the same way).
 */
export async function readClientRequest(
  context: LocalProviderContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<{ form: Record<string, string>; client: LocalClient } | null> {
  let form: Record<string, string>;
  try {
    form = await readForm(req);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    sendOAuthError(res, error.status, "invalid_request", error.publicMessage, error.headers);
    return null;
  }
  const auth = context.clients.authenticate(req.headers.authorization, form);
  if (!auth.ok) {
    const challenge = auth.status === 401 ? { "WWW-Authenticate": 'Basic realm="local-provider"' } : undefined;
    sendOAuthError(res, auth.status, auth.error, auth.description, challenge);
    return null;
  }
  return { form, client: auth.client };
}

export async function handleTokenRequest(context: LocalProviderContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const request = await readClientRequest(context, req, res);
  if (request === null) return;
  const { form } = request;
  const clientId = request.client.clientId;

  let result: { ok: true; tokens: IssuedTokens } | { ok: false; error: string; description: string };
  if (form.grant_type === "authorization_code") {
    if (!form.code) return sendOAuthError(res, 400, "invalid_request", "code is required");
    result = context.codes.redeem({ code: form.code, clientId, redirectUri: form.redirect_uri, codeVerifier: form.code_verifier });
  } else if (form.grant_type === "refresh_token") {
    if (!form.refresh_token) return sendOAuthError(res, 400, "invalid_request", "refresh_token is required");
    // §6: a refresh may narrow the scope, never widen it. Ours has one scope, so it must be equal.
    const grantedScope = context.families.familyScope(form.refresh_token);
    if (form.scope !== undefined && grantedScope !== null && form.scope !== grantedScope) {
      return sendOAuthError(res, 400, "invalid_scope", "the scope must be the one originally granted");
    }
    result = context.families.refresh(form.refresh_token, clientId);
  } else if (form.grant_type === undefined) {
    return sendOAuthError(res, 400, "invalid_request", "grant_type is required");
  } else {
    return sendOAuthError(res, 400, "unsupported_grant_type", "only authorization_code and refresh_token are supported");
  }

  if (!result.ok) return sendOAuthError(res, 400, result.error, result.description);
  sendJson(
    res,
    200,
    {
      access_token: result.tokens.accessToken,
      token_type: "Bearer",
      expires_in: result.tokens.expiresInSeconds,
      refresh_token: result.tokens.refreshToken,
      scope: result.tokens.scope,
    },
    tokenHeaders,
  );
}
