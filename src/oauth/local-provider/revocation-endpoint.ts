// The local provider's revocation endpoint (RFC 7009): POST `token=` with an optional
// `token_type_hint`, client authenticated as at the token endpoint (§2.1). Revoking a refresh token
// revokes its whole grant, access tokens included; revoking an access token revokes just that one.
// An unknown or already revoked token is still 200 (§2.2: the client cannot do anything about it and
// an error would tell an attacker which tokens exist). A token of another client is refused (§2.1).
// The hint is only a hint (§2.1): we look the token up either way, and never fail because of it.
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendText } from "../../http/respond.ts";
import type { LocalProviderContext } from "./create-local-provider.ts";
import { readClientRequest, sendOAuthError } from "./token-endpoint.ts";

export async function handleRevocationRequest(context: LocalProviderContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const request = await readClientRequest(context, req, res);
  if (request === null) return;
  const { form, client } = request;
  if (!form.token) return sendOAuthError(res, 400, "invalid_request", "token is required");
  if (context.families.revoke(form.token, client.clientId) === "other_client") {
    return sendOAuthError(res, 400, "unauthorized_client", "the token was issued to another client");
  }
  sendText(res, 200, "", { "Cache-Control": "no-store" });
}
