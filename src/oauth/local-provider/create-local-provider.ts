// A bundled OAuth 2.0 authorization server, so the OAuth step and its tests run with no account and
// no network. A TEACHING AID: no passwords (pick or type any name), everything in memory, gone on
// restart. But correct where it matters to a client (RFC 6749, RFC 7636, RFC 7009, RFC 9207,
// RFC 9700): exact redirect URIs, PKCE S256, single-use 60 s codes, rotating refresh tokens with reuse
// detection, revocation, userinfo, §5.2 JSON errors, unframeable approval page, no CORS.
// Endpoints: GET/POST /authorize, POST /token, POST /revoke, GET /userinfo. The issuer (and `iss`) is
// `options.issuer`, or http://<address>:<port> once the server listens (port 0 works for tests).
// Bad options throw a TypeError at creation; bad requests get 4xx answers, never a crash.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { RouteHandler } from "../../http/dispatch.ts";
import { dispatch } from "../../http/dispatch.ts";
import { withErrorBoundary } from "../../http/error-boundary.ts";
import { Router } from "../../http/router.ts";
import { validateUsername } from "../../users/username.ts";
import { endpointUrlProblem } from "../providers.ts";
import { AuthorizationCodes } from "./authorization-codes.ts";
import { createAuthorizeEndpoint } from "./authorize-endpoint.ts";
import { ClientRegistry, type LocalClientConfig } from "./clients.ts";
import { handleRevocationRequest } from "./revocation-endpoint.ts";
import { TokenFamilies } from "./token-families.ts";
import { handleTokenRequest } from "./token-endpoint.ts";
import { handleUserinfoRequest } from "./userinfo-endpoint.ts";

export interface LocalProviderOptions {
  clients: readonly LocalClientConfig[];
  /** Demo users offered on the approval page; any valid name can also be typed. */
  users?: readonly string[];
  now?: () => number;
  /** Default: http://<address>:<port> of the listening server. */
  issuer?: string;
  accessTokenLifetimeSeconds?: number;
  refreshTokenLifetimeSeconds?: number;
  log?: (message: string, error?: unknown) => void;
}

export interface LocalProviderContext {
  clients: ClientRegistry;
  codes: AuthorizationCodes;
  families: TokenFamilies;
  users: readonly string[];
  now: () => number;
  issuer: () => string;
}

export interface LocalProvider {
  server: http.Server;
  /** The issuer identifier and base URL of every endpoint. TypeError before listening without options.issuer. */
  issuer(): string;
  /** Adds an exact redirect URI to a registered client (an app learns its port only after it starts). */
  registerRedirectUri(clientId: string, redirectUri: string): void;
}

export const defaultDemoUsers = ["alice", "bob"];
const defaultAccessTokenLifetimeSeconds = 10 * 60; // short, so the demo shows a refresh within minutes
const defaultRefreshTokenLifetimeSeconds = 30 * 24 * 3600; // the ArcGIS tutorial's 30-day session

export function createLocalProvider(options: LocalProviderOptions): LocalProvider {
  const now = options.now ?? Date.now;
  const users = options.users ?? defaultDemoUsers;
  for (const user of users) {
    if (validateUsername(user) !== null) throw new TypeError(`local provider "users" is invalid: "${user}" is not a valid username`);
  }
  if (options.issuer !== undefined) {
    const problem = endpointUrlProblem(options.issuer);
    if (problem) throw new TypeError(`local provider "issuer" is invalid: ${problem}`);
  }
  const lifetime = (name: string, value: number | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 1) {
      throw new TypeError(`local provider "${name}" is invalid: must be a whole number of seconds above 0`);
    }
    return value;
  };
  const families = new TokenFamilies({
    now,
    accessTokenLifetimeSeconds: lifetime(
      "accessTokenLifetimeSeconds",
      options.accessTokenLifetimeSeconds,
      defaultAccessTokenLifetimeSeconds,
    ),
    refreshTokenLifetimeSeconds: lifetime(
      "refreshTokenLifetimeSeconds",
      options.refreshTokenLifetimeSeconds,
      defaultRefreshTokenLifetimeSeconds,
    ),
  });
  const clients = new ClientRegistry(options.clients);
  const server = http.createServer();

  const issuer = (): string => {
    if (options.issuer !== undefined) return options.issuer.replace(/\/+$/, "");
    const address = server.address() as AddressInfo | null;
    if (address === null || typeof address === "string") {
      throw new TypeError('local provider "issuer" is unknown: pass options.issuer or call issuer() after the server listens');
    }
    const host = ["0.0.0.0", "::"].includes(address.address) ? "localhost" : address.address;
    return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
  };

  const context: LocalProviderContext = {
    clients,
    families,
    codes: new AuthorizationCodes({ families, now }),
    users,
    now,
    issuer,
  };
  const authorize = createAuthorizeEndpoint(context);
  const router = new Router<RouteHandler<LocalProviderContext>>()
    .add("GET", "/authorize", (req, res) => authorize.show(req, res))
    .add("POST", "/authorize", (req, res) => authorize.decide(req, res))
    .add("POST", "/token", (req, res, _params, ctx) => handleTokenRequest(ctx, req, res))
    .add("POST", "/revoke", (req, res, _params, ctx) => handleRevocationRequest(ctx, req, res))
    .add("GET", "/userinfo", (req, res, _params, ctx) => handleUserinfoRequest(ctx, req, res));
  server.on("request", withErrorBoundary((req, res) => dispatch(router, req, res, context), { log: options.log }));

  return {
    server,
    issuer,
    registerRedirectUri: (clientId, redirectUri) => clients.registerRedirectUri(clientId, redirectUri),
  };
}
