// A tiny cookie jar for tests: one jar is one browser talking to one server.
// store(response) keeps each Set-Cookie's name=value (read with Headers.getSetCookie(), so several
// Set-Cookie headers are never merged by a comma), deletes a cookie on Max-Age <= 0 or an Expires in
// the past (RFC 6265 §5.3), and header() gives the Cookie request header a browser would send.
// Deliberately simple: Domain and Path are ignored (every test talks to one host, every cookie here
// has Path=/), and nothing expires by wall-clock time (tests move the server's clock instead).

export class CookieJar {
  readonly #cookies = new Map<string, string>();

  /** Reads every Set-Cookie header of a fetch response into the jar. */
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) this.storeSetCookie(line);
  }

  /** Applies one Set-Cookie header value, as a browser would (minus Domain/Path matching). */
  storeSetCookie(line: string): void {
    const [pair = "", ...attributes] = line.split(";");
    const equals = pair.indexOf("=");
    if (equals <= 0) return; // No name: browsers ignore the whole line.
    const name = pair.slice(0, equals).trim();
    const value = pair.slice(equals + 1).trim();
    if (isDeletion(attributes)) this.#cookies.delete(name);
    else this.#cookies.set(name, value);
  }

  /** The raw (still encoded) value of a cookie, or undefined. */
  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  /** Sets a cookie by hand: how tests tamper with a value or forge one. */
  set(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  delete(name: string): void {
    this.#cookies.delete(name);
  }

  names(): string[] {
    return [...this.#cookies.keys()];
  }

  /** The Cookie header for the next request ("a=1; b=2"), or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.#cookies.size === 0) return undefined;
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

function isDeletion(attributes: string[]): boolean {
  let maxAge: number | undefined;
  let expires: number | undefined;
  for (const attribute of attributes) {
    const equals = attribute.indexOf("=");
    const key = (equals === -1 ? attribute : attribute.slice(0, equals)).trim().toLowerCase();
    const value = equals === -1 ? "" : attribute.slice(equals + 1).trim();
    if (key === "max-age" && /^-?\d+$/.test(value)) maxAge = Number(value);
    if (key === "expires") expires = Date.parse(value);
  }
  // Max-Age wins over Expires when both are present (RFC 6265 §5.3 step 3).
  if (maxAge !== undefined) return maxAge <= 0;
  return expires !== undefined && !Number.isNaN(expires) && expires <= Date.now();
}
