import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loginRedirect, requireLogin } from "../../src/auth/require-login.ts";

const context = (url: string | undefined, userId: string | null) => ({ req: { url }, session: { userId } });

describe("requireLogin", () => {
  const route = requireLogin((c: ReturnType<typeof context> & { userId: string }) => `page for ${c.userId}`);

  it("runs the route for a signed-in user, with the user's ID", () => {
    assert.equal(route(context("/account", "alice")), "page for alice");
  });

  it("R21: sends anyone else to /login with the page asked for as returnTo", () => {
    assert.deepEqual(route(context("/account", null)), { redirect: "/login?returnTo=%2Faccount" });
    assert.deepEqual(route(context("/account?tab=keys#x", null)), { redirect: "/login?returnTo=%2Faccount%3Ftab%3Dkeys%23x" });
    assert.deepEqual(route(context("/", null)), { redirect: "/login" });
  });

  it("uses another login path when told, and refuses one that is not a plain path", () => {
    const custom = requireLogin(() => "ok", { loginPath: "/sign-in" });
    assert.deepEqual(custom(context("/a", null)), { redirect: "/sign-in?returnTo=%2Fa" });
    assert.deepEqual(requireLogin(() => "ok", { loginPath: "/auth/login" })(context("/a", null)), { redirect: "/auth/login?returnTo=%2Fa" });
    for (const loginPath of ["login", "/", "//evil.example", "/login?x=1", "https://evil.example/login", "/a//b", "/\\evil", "/log in"]) {
      assert.throws(() => requireLogin(() => "ok", { loginPath }), {
        name: "TypeError",
        message: `requireLogin "loginPath" is invalid: must be a path such as "/login" or "/auth/login", without a query`,
      });
    }
  });
});

describe("loginRedirect", () => {
  it("R21: never carries an off-site target: those become plain /login", () => {
    for (const target of ["//evil.example/x", "/\\evil.example", "https://evil.example/", "http://app.example/account", undefined, "*", ""]) {
      assert.equal(loginRedirect(target), "/login", String(target));
    }
  });
});
