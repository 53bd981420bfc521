import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Router } from "../../src/http/router.ts";

function usersRouter(): Router<string> {
  return new Router<string>()
    .add("GET", "/", "home")
    .add("GET", "/users/:name", "show user")
    .add("POST", "/users/:name", "update user")
    .add("GET", "/users/:name/posts/:postId", "show post");
}

describe("Router.match", () => {
  it("finds a literal route with no params, in a null-prototype record", () => {
    const match = usersRouter().match("GET", "/");
    assert.deepEqual(match, { kind: "found", handler: "home", params: Object.create(null) });
    assert.ok(match.kind === "found" && Object.getPrototypeOf(match.params) === null);
  });

  it("captures named params", () => {
    const match = usersRouter().match("GET", "/users/ada/posts/42");
    assert.equal(match.kind, "found");
    assert.ok(match.kind === "found");
    assert.equal(match.handler, "show post");
    assert.deepEqual({ ...match.params }, { name: "ada", postId: "42" });
  });

  it("percent-decodes params after splitting, so %2F stays inside one param", () => {
    const router = usersRouter();
    const decoded = router.match("GET", "/users/J%C3%BCrgen%20K");
    assert.ok(decoded.kind === "found");
    assert.equal(decoded.params.name, "Jürgen K");
    const slash = router.match("GET", "/users/a%2Fb");
    assert.ok(slash.kind === "found");
    assert.equal(slash.handler, "show user");
    assert.equal(slash.params.name, "a/b");
  });

  it("compares literal segments after decoding (/%75sers is /users)", () => {
    const match = usersRouter().match("GET", "/%75sers/ada");
    assert.ok(match.kind === "found");
    assert.equal(match.handler, "show user");
  });

  for (const path of ["/users/%", "/users/%zz", "/users/%E0%A4%A", "/users/%C3%28", "/users/%FF", "/%ED%A0%80"]) {
    it(`answers bad-request for the malformed escape ${path}`, () => {
      assert.deepEqual(usersRouter().match("GET", path), {
        kind: "bad-request",
        message: "Malformed percent-encoding in the URL path",
      });
    });
  }

  for (const path of ["/nope", "/users", "/users/", "/users//", "//users/ada", "/users/ada/", "/users/ada/posts", "*", ""]) {
    it(`answers not-found for ${JSON.stringify(path)}`, () => {
      assert.deepEqual(usersRouter().match("GET", path), { kind: "not-found" });
    });
  }

  it("answers method-not-allowed with the allowed methods, HEAD included with GET", () => {
    assert.deepEqual(usersRouter().match("DELETE", "/users/ada"), {
      kind: "method-not-allowed",
      allow: ["GET", "HEAD", "POST"],
    });
  });

  it("does not add HEAD to Allow when no GET route matches", () => {
    const router = new Router<string>().add("POST", "/logout", "logout");
    assert.deepEqual(router.match("HEAD", "/logout"), { kind: "method-not-allowed", allow: ["POST"] });
    assert.deepEqual(router.match("GET", "/logout"), { kind: "method-not-allowed", allow: ["POST"] });
  });

  it("serves HEAD with the GET route", () => {
    const match = usersRouter().match("HEAD", "/users/ada");
    assert.ok(match.kind === "found");
    assert.equal(match.handler, "show user");
  });

  it("prefers an explicit HEAD route over GET", () => {
    const router = new Router<string>().add("GET", "/file", "get").add("HEAD", "/file", "head");
    assert.deepEqual(router.match("HEAD", "/file"), { kind: "found", handler: "head", params: Object.create(null) });
  });

  it("prefers a literal segment over a param, whatever the order of definition", () => {
    const router = new Router<string>().add("GET", "/users/:name", "show").add("GET", "/users/new", "form");
    const match = router.match("GET", "/users/new");
    assert.ok(match.kind === "found");
    assert.equal(match.handler, "form");
  });

  it("picks the route that allows the method when a literal route does not", () => {
    const router = new Router<string>().add("GET", "/users/new", "form").add("DELETE", "/users/:name", "delete");
    const match = router.match("DELETE", "/users/new");
    assert.ok(match.kind === "found");
    assert.equal(match.handler, "delete");
    assert.equal(match.params.name, "new");
  });

  it("is case-sensitive in paths and methods", () => {
    assert.deepEqual(usersRouter().match("GET", "/Users/ada"), { kind: "not-found" });
    assert.deepEqual(usersRouter().match("get", "/"), { kind: "method-not-allowed", allow: ["GET", "HEAD"] });
  });
});

describe("Router.add", () => {
  it("returns the router, so routes chain", () => {
    const router = new Router<number>();
    assert.equal(router.add("GET", "/", 1), router);
  });

  const invalidPatterns: [pattern: string, message: string][] = [
    ["users", `route pattern "users" is invalid: must start with "/"`],
    ["", `route pattern "" is invalid: must start with "/"`],
    ["/users/", `route pattern "/users/" is invalid: must not contain an empty segment ("//" or a trailing "/")`],
    ["//users", `route pattern "//users" is invalid: must not contain an empty segment ("//" or a trailing "/")`],
    ["/users/:", `route pattern "/users/:" is invalid: parameter ":" needs a name of letters, digits and "_"`],
    ["/users/:na-me", `route pattern "/users/:na-me" is invalid: parameter ":na-me" needs a name of letters, digits and "_"`],
    ["/users/:1st", `route pattern "/users/:1st" is invalid: parameter ":1st" needs a name of letters, digits and "_"`],
    ["/a/:id/b/:id", `route pattern "/a/:id/b/:id" is invalid: parameter ":id" appears twice`],
    ["/a b", `route pattern "/a b" is invalid: segment "a b" has characters a path cannot hold unencoded (RFC 3986 §3.3)`],
    ["/caf%C3%A9", `route pattern "/caf%C3%A9" is invalid: segment "caf%C3%A9" has characters a path cannot hold unencoded (RFC 3986 §3.3)`],
    ["/users?x=1", `route pattern "/users?x=1" is invalid: segment "users?x=1" has characters a path cannot hold unencoded (RFC 3986 §3.3)`],
    ["/a\\b", `route pattern "/a\\b" is invalid: segment "a\\b" has characters a path cannot hold unencoded (RFC 3986 §3.3)`],
  ];
  for (const [pattern, message] of invalidPatterns) {
    it(`throws a TypeError at definition for the pattern ${JSON.stringify(pattern)}`, () => {
      assert.throws(() => new Router<string>().add("GET", pattern, "x"), { name: "TypeError", message });
    });
  }

  for (const method of ["get", "", "GET ", "X-Y"]) {
    it(`throws a TypeError for the method ${JSON.stringify(method)}`, () => {
      assert.throws(() => new Router<string>().add(method, "/", "x"), {
        name: "TypeError",
        message: `route method "${method}" is invalid: must be an uppercase method name such as "GET" (RFC 9110 §9.1)`,
      });
    });
  }

  it("throws a TypeError for a second route matching the same paths with the same method", () => {
    const router = new Router<string>().add("GET", "/users/:name", "x");
    assert.throws(() => router.add("GET", "/users/:id", "y"), {
      name: "TypeError",
      message: `route "GET /users/:id" is invalid: it matches the same paths as an earlier route`,
    });
    assert.doesNotThrow(() => router.add("POST", "/users/:id", "z"));
  });

  it("takes two routes whose paths differ only in case: they match different paths", () => {
    const router = new Router<string>().add("GET", "/About", "upper").add("GET", "/about", "lower");
    assert.deepEqual(router.match("GET", "/About"), { kind: "found", handler: "upper", params: Object.create(null) });
    assert.deepEqual(router.match("GET", "/about"), { kind: "found", handler: "lower", params: Object.create(null) });
  });
});
