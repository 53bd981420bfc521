// HTML form routes in a session (OWASP CSRF CS, "Synchronizer Token Pattern"; R19): a route gets the
// request, its session and, for a POST, the parsed form, and returns a page or a redirect, which is
// sent once the session has been saved. A POST whose `csrf` field does not match the session's token
// is refused with 403 before the route runs (compared in constant time, csrf-token.ts).
// Pitfall prevented: a token check written into each route, where one forgotten check leaves a form
// open to forgery; here no POST reaches a route unchecked.
// Bad input: a body that is not a small url-encoded form is readForm's HttpError (415, 413, 400); a
// missing or wrong token is HttpError 403. An error boundary turns both into the response.
import type { IncomingMessage } from "node:http";
import { readForm } from "../http/body.ts";
import type { RouteHandler } from "../http/dispatch.ts";
import type { SafeHtml } from "../http/html.ts";
import { HttpError } from "../http/http-error.ts";
import { redirect, sendHtml } from "../http/respond.ts";
import type { Session, SessionManager } from "../session/manager.ts";
import type { SessionData } from "../session/store.ts";
import { createCsrfToken, csrfTokensMatch } from "./csrf-token.ts";

/** The 403's words: to the server, a forged form and one from an expired session look the same. */
export const forbiddenMessage = "Forbidden: this form came from another site, or has expired. Reload the page and try again.";

/** What the session must be able to hold: its CSRF token. */
export type CsrfSessionData = SessionData & { csrfToken?: string };

/** What a route decided: a page and its status, or a 303 to another page; extra headers either way. */
export type PageReply =
  | { redirect: string; headers?: Record<string, string> }
  | { status: number; page: SafeHtml; headers?: Record<string, string> };

export interface FormContext<D extends CsrfSessionData> {
  req: IncomingMessage;
  session: Session<D>;
  /** The POST's fields (a null-prototype record); {} for a GET. */
  form: Record<string, string>;
}

export type FormRoute<D extends CsrfSessionData> = (context: FormContext<D>) => PageReply | Promise<PageReply>;

export interface FormRouteOptions {
  /** Let a POST from a browser without a session through without a token: there is nothing to forge (logout). */
  allowWithoutSession?: boolean;
}

export type FormHandler<D extends CsrfSessionData> = (route: FormRoute<D>, options?: FormRouteOptions) => RouteHandler<void>;

/** Wraps routes so that they run in the request's session, a POST only with the session's token (R19). */
export function createFormHandler<D extends CsrfSessionData>(sessions: SessionManager<D>): FormHandler<D> {
  return (route, options = {}) => async (req, res) => {
    const isPost = req.method === "POST";
    const form = isPost ? await readForm(req) : {}; // 415, 413 or 400 unless a small url-encoded form
    const reply = await sessions.withSession(req, res, (session) => {
      const exempt = options.allowWithoutSession === true && session.isNew;
      if (isPost && !exempt && !csrfTokensMatch(session.data.csrfToken, form.csrf)) {
        throw new HttpError(403, forbiddenMessage);
      }
      return route({ req, session, form });
    });
    // Sent only now: withSession has saved the session and set its cookie (and `no-store`, R09).
    if ("redirect" in reply) redirect(res, reply.redirect, 303, reply.headers);
    else sendHtml(res, reply.status, reply.page, reply.headers);
  };
}

/** The session's CSRF token, made on first use: a login form's page starts a pre-session (R19). */
export function csrfTokenOf(session: { data: CsrfSessionData }): string {
  return (session.data.csrfToken ??= createCsrfToken());
}
