// A route table: method + path pattern ("/users/:name") → handler. match() is pure data in, data out.
// Spec: RFC 3986 §3.3 (path segments), §2.1 (percent-encoding); RFC 9110 §9.3.2 (HEAD is GET without
// a body), §15.5.6 (405 lists the allowed methods in Allow).
// Pitfall: decoding the whole path before splitting turns "%2F" into a separator, and a bare
// decodeURIComponent("%E0%A4%A") throws a URIError that has crashed many servers. Here each segment is
// decoded after splitting, and a malformed escape is a 400. A param may still hold "/", "..", or "\0":
// never use one as a file name unchecked.
// Bad input: match() never throws; an invalid pattern or method throws a TypeError at add().

export type RouteMatch<H> =
  | { kind: "found"; handler: H; params: Record<string, string> }
  | { kind: "not-found" }
  | { kind: "method-not-allowed"; allow: string[] }
  | { kind: "bad-request"; message: string };

type Segment = { literal: string } | { param: string };

interface Route<H> {
  method: string;
  segments: Segment[];
  handler: H;
}

// Literal segments: RFC 3986 `pchar` without "%" (patterns are written decoded).
const literalSegmentRegExp = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]+$/;
const paramNameRegExp = /^[A-Za-z_][A-Za-z0-9_]*$/;
// RFC 9110 §9.1: methods are case-sensitive tokens; the standard ones are uppercase.
const methodRegExp = /^[A-Z]+$/;

export class Router<H> {
  readonly #routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): this {
    if (!methodRegExp.test(method)) {
      throw new TypeError(`route method "${method}" is invalid: must be an uppercase method name such as "GET" (RFC 9110 §9.1)`);
    }
    const segments = parsePattern(pattern);
    const shape = shapeOf(segments);
    if (this.#routes.some((route) => route.method === method && shapeOf(route.segments) === shape)) {
      throw new TypeError(`route "${method} ${pattern}" is invalid: it matches the same paths as an earlier route`);
    }
    this.#routes.push({ method, segments, handler });
    return this;
  }

  /** `path` is the pathname only, still percent-encoded (the caller strips "?query"). */
  match(method: string, path: string): RouteMatch<H> {
    if (!path.startsWith("/")) return { kind: "not-found" }; // "*" (OPTIONS *) or garbage
    const rawSegments = path === "/" ? [] : path.slice(1).split("/");
    const decoded: string[] = [];
    for (const raw of rawSegments) {
      try {
        decoded.push(raw.includes("%") ? decodeURIComponent(raw) : raw);
      } catch {
        return { kind: "bad-request", message: "Malformed percent-encoding in the URL path" };
      }
    }
    const matches: { route: Route<H>; params: Record<string, string> }[] = [];
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, decoded);
      if (params) matches.push({ route, params });
    }
    if (matches.length === 0) return { kind: "not-found" };
    // HEAD is served by the GET route unless a HEAD route was added explicitly.
    const wanted = method === "HEAD" && !matches.some((m) => m.route.method === "HEAD") ? "GET" : method;
    const best = matches
      .filter((m) => m.route.method === wanted)
      .sort((a, b) => compareSpecificity(a.route.segments, b.route.segments))[0];
    if (best) return { kind: "found", handler: best.route.handler, params: best.params };
    const allow = new Set(matches.map((m) => m.route.method));
    if (allow.has("GET")) allow.add("HEAD");
    return { kind: "method-not-allowed", allow: [...allow].sort() };
  }
}

function parsePattern(pattern: string): Segment[] {
  const invalid = (reason: string) => new TypeError(`route pattern "${pattern}" is invalid: ${reason}`);
  if (!pattern.startsWith("/")) throw invalid(`must start with "/"`);
  if (pattern === "/") return [];
  const names = new Set<string>();
  return pattern.slice(1).split("/").map((segment): Segment => {
    if (segment === "") throw invalid(`must not contain an empty segment ("//" or a trailing "/")`);
    if (segment.startsWith(":")) {
      const name = segment.slice(1);
      if (!paramNameRegExp.test(name)) throw invalid(`parameter "${segment}" needs a name of letters, digits and "_"`);
      if (names.has(name)) throw invalid(`parameter ":${name}" appears twice`);
      names.add(name);
      return { param: name };
    }
    if (!literalSegmentRegExp.test(segment)) {
      throw invalid(`segment "${segment}" has characters a path cannot hold unencoded (RFC 3986 §3.3)`);
    }
    return { literal: segment };
  });
}

function matchSegments(segments: readonly Segment[], path: readonly string[]): Record<string, string> | null {
  if (segments.length !== path.length) return null;
  const params: Record<string, string> = Object.create(null);
  for (const [index, segment] of segments.entries()) {
    const value = path[index] ?? "";
    if ("literal" in segment) {
      if (segment.literal !== value) return null;
    } else {
      if (value === "") return null; // "/users/" does not match "/users/:name"
      params[segment.param] = value;
    }
  }
  return params;
}

/** "/users/new" before "/users/:name", whatever the order they were added in. */
function compareSpecificity(a: readonly Segment[], b: readonly Segment[]): number {
  for (const [index, segment] of a.entries()) {
    const other = b[index];
    const aIsLiteral = "literal" in segment;
    const bIsLiteral = other !== undefined && "literal" in other;
    if (aIsLiteral !== bIsLiteral) return aIsLiteral ? -1 : 1;
  }
  return 0;
}

function shapeOf(segments: readonly Segment[]): string {
  return segments.map((segment) => ("literal" in segment ? `/${segment.literal}` : "/:")).join("");
}
