// The local provider's registered clients and how a client proves who it is at the token and
// revocation endpoints (RFC 6749 §2.3.1): HTTP Basic with form-encoded id and secret, or
// `client_secret` in the body, never both (§2.3); a public client (no secret) sends only `client_id`
// and is held to PKCE. Redirect URIs are registered exact strings (RFC 9700 §4.1.3: no patterns);
// registerRedirectUri exists because a demo app learns its port only after it starts.
// Pitfall prevented: comparing secrets with `===` (timing), and a Basic header that is decoded
// without form-decoding (§2.3.1), so a secret with ":" or "%" never works.
// Bad credentials give a refusal value (401 invalid_client / 400 invalid_request), never a throw.
import { timingSafeEqual } from "node:crypto";
import { endpointUrlProblem } from "../providers.ts";

export interface LocalClientConfig {
  clientId: string;
  redirectUris: readonly string[];
  /** Omit for a public client. */
  clientSecret?: string;
  /** Default true. Only a confidential client (with a secret) may turn PKCE off. */
  requirePkce?: boolean;
}

export interface LocalClient {
  clientId: string;
  clientSecret: string | null;
  redirectUris: Set<string>;
  requirePkce: boolean;
}

export type ClientAuthentication =
  | { ok: true; client: LocalClient }
  | { ok: false; status: 400 | 401; error: "invalid_client" | "invalid_request"; description: string };

export class ClientRegistry {
  readonly #clients = new Map<string, LocalClient>();

  constructor(configs: readonly LocalClientConfig[]) {
    if (!Array.isArray(configs) || configs.length === 0) {
      throw new TypeError('local provider "clients" is invalid: must list at least one { clientId, redirectUris }');
    }
    for (const config of configs) {
      if (typeof config.clientId !== "string" || !/^[\x21-\x7e]{1,128}$/.test(config.clientId)) {
        throw new TypeError('local provider "clientId" is invalid: must be 1 to 128 printable ASCII characters');
      }
      const requirePkce = config.requirePkce ?? true;
      if (!requirePkce && !config.clientSecret) {
        throw new TypeError(`local provider client "${config.clientId}" is invalid: a public client must use PKCE (RFC 9700 §2.1.1)`);
      }
      this.#clients.set(config.clientId, {
        clientId: config.clientId,
        clientSecret: config.clientSecret || null,
        redirectUris: new Set(),
        requirePkce,
      });
      for (const uri of config.redirectUris) this.registerRedirectUri(config.clientId, uri);
    }
  }

  get(clientId: string | undefined): LocalClient | null {
    return (clientId !== undefined && this.#clients.get(clientId)) || null;
  }

  registerRedirectUri(clientId: string, redirectUri: string): void {
    const client = this.#clients.get(clientId);
    if (!client) throw new TypeError(`local provider client "${clientId}" is unknown: register it in "clients" first`);
    const problem = endpointUrlProblem(redirectUri);
    if (problem) throw new TypeError(`local provider "redirectUri" is invalid: ${problem}`);
    client.redirectUris.add(redirectUri);
  }

  authenticate(authorization: string | undefined, form: Record<string, string>): ClientAuthentication {
    const deny = (description: string): ClientAuthentication => ({ ok: false, status: 401, error: "invalid_client", description });
    let clientId = form.client_id;
    let secret = form.client_secret;
    if (authorization !== undefined) {
      const basic = parseBasic(authorization);
      if (!basic) return deny("malformed Authorization header: expected Basic credentials");
      if (secret !== undefined) {
        const description = "use one client authentication method, not two (RFC 6749 §2.3)";
        return { ok: false, status: 400, error: "invalid_request", description };
      }
      if (clientId !== undefined && clientId !== basic.clientId) {
        return { ok: false, status: 400, error: "invalid_request", description: "client_id differs from the Authorization header" };
      }
      clientId = basic.clientId;
      secret = basic.secret;
    }
    const client = this.get(clientId);
    if (!client) return deny("unknown client");
    if (client.clientSecret === null) {
      return secret === undefined || secret === "" ? { ok: true, client } : deny("this public client has no secret");
    }
    if (secret === undefined || !sameText(secret, client.clientSecret)) return deny("client authentication failed");
    return { ok: true, client };
  }
}

// Authorization: Basic base64(form-encode(id) ":" form-encode(secret))  (RFC 6749 §2.3.1, RFC 7617)
function parseBasic(header: string): { clientId: string; secret: string } | null {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) return null;
  try {
    const formDecode = (text: string) => decodeURIComponent(text.replaceAll("+", " "));
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

function sameText(a: string, b: string): boolean {
  const aBytes = Buffer.from(a, "utf8");
  const bBytes = Buffer.from(b, "utf8");
  return aBytes.length === bBytes.length && timingSafeEqual(aBytes, bBytes);
}
