// requireLogin: the guard for pages behind login. A visitor without a signed-in session is sent to the
// login page with the page they asked for as `returnTo`, so that after logging in they land where they
// were going, and only ever on this site: the login handler passes `returnTo` through safeReturnTo()
// again (R21, RFC 9700 §4.11), since anyone can craft a link to /login?returnTo=https://evil.example.
// Pitfall prevented: guards that forget the return path (users land on "/"), or that echo any URL back.
// Pure: it reads the session it is given and returns a redirect instead of touching the response.
import { safeReturnTo } from "./safe-return-to.ts";

export interface GuardedContext {
  /** The request target, as in IncomingMessage.url ("/path?query"). */
  req: { url?: string | undefined };
  session: { userId: string | null };
}

/** Wraps `route` so that it runs only for a signed-in user; everyone else gets `{ redirect }` to log in. */
export function requireLogin<C extends GuardedContext, R>(
  route: (context: C & { userId: string }) => R,
  options: { loginPath?: string } = {},
): (context: C) => R | { redirect: string } {
  const loginPath = options.loginPath ?? "/login";
  if (!/^(?:\/[A-Za-z0-9._~-]+)+$/.test(loginPath)) {
    throw new TypeError(
      `requireLogin "loginPath" is invalid: must be a path such as "/login" or "/auth/login", without a query`,
    );
  }
  return (context) => {
    const { userId } = context.session;
    if (userId === null) return { redirect: loginRedirect(context.req.url, loginPath) };
    return route({ ...context, userId });
  };
}

/** "/login?returnTo=%2Fpage%3Fq%3D1" for a request to "/page?q=1"; just "/login" for "/" or anything odd. */
export function loginRedirect(requestTarget: string | undefined, loginPath = "/login"): string {
  const returnTo = safeReturnTo(requestTarget, "/");
  return returnTo === "/" ? loginPath : `${loginPath}?returnTo=${encodeURIComponent(returnTo)}`;
}
