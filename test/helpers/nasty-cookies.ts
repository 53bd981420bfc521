// Cookie headers a server meets in the wild or from an attacker, for step tests to replay: none may
// crash the server or be mistaken for a session. `nastyCookieHeaders` can be sent with fetch (they
// reach our code); `rawNastyCookieRequests` hold bytes fetch refuses to send, which Node's own HTTP
// parser answers (400 for control characters, 431 past its 16 KiB header limit) before any handler.
//
//   for (const [label, cookie] of nastyCookieHeaders) {
//     const res = await app.newBrowser().fetch("/", { headers: { cookie } });   // → 200 "Views: 1"
//   }

export const nastyCookieHeaders: ReadonlyArray<readonly [label: string, header: string]> = [
  ["an empty header", ""],
  ["only a semicolon", ";"],
  ["only an equals sign", "="],
  ["a name without a value", "sid"],
  ["an empty value", "sid="],
  ["separators only", ";;; ;= ;==;"],
  ["a truncated percent escape", "sid=%E0%A4%A"],
  ["a lone percent sign", "sid=%"],
  ["an invalid percent escape", "sid=%ZZ%"],
  ["a duplicated name", "sid=first; sid=second"],
  ["prototype property names", "__proto__=1; constructor=2; toString=3; hasOwnProperty=4; sid=__proto__"],
  ["an unterminated quote", 'sid="abc'],
  ["an empty quoted value", 'sid=""'],
  ["a path traversal", "sid=../../../../etc/passwd"],
  ["an encoded path traversal", "sid=..%2F..%2F..%2Fetc%2Fpasswd"],
  ["encoded NUL bytes", "sid=%00%00"],
  ["an encoded CRLF header injection", "sid=a%0D%0ASet-Cookie:%20admin=1"],
  ["an express-session style value", "sid=s%3Aabc.def"],
  ["a lone dot", "sid=."],
  ["many dots", "sid=a.b.c.d.e"],
  ["an 8 KiB value", "sid=" + "A".repeat(8192)],
  ["a thousand cookies", Array.from({ length: 1000 }, (_, index) => `c${index}=${index}`).join("; ")],
  ["binary bytes", "sid=\xff\xfe\x80\x81"],
  ["UTF-8 text", Buffer.from("sid=ünïcødé ☃").toString("latin1")],
  ["a tab inside the value", "sid=\tabc"],
];

export interface RawCookieCase {
  label: string;
  /** The bytes after "Cookie: " (one or more header lines' worth), sent as latin-1. */
  cookieLines: string[];
  /** What the server must answer: Node's parser rejects some before any handler runs. */
  expectedStatus: number;
}

export const rawNastyCookieRequests: readonly RawCookieCase[] = [
  { label: "a NUL byte", cookieLines: ["sid=\x00abc"], expectedStatus: 400 },
  { label: "a control character", cookieLines: ["sid=\x01abc"], expectedStatus: 400 },
  { label: "a DEL character", cookieLines: ["sid=\x7f"], expectedStatus: 400 },
  { label: "a bare carriage return", cookieLines: ["sid=a\rSet-Cookie: admin=1"], expectedStatus: 400 },
  { label: "a 20 KiB header (over Node's 16 KiB limit)", cookieLines: ["sid=" + "A".repeat(20_000)], expectedStatus: 431 },
  { label: "two Cookie headers", cookieLines: ["a=1", "sid=forged"], expectedStatus: 200 },
];

/** The raw HTTP/1.1 request for a RawCookieCase (GET path, Connection: close). */
export function rawCookieRequest(testCase: RawCookieCase, path = "/"): string {
  const cookies = testCase.cookieLines.map((line) => `Cookie: ${line}\r\n`).join("");
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${cookies}Connection: close\r\n\r\n`;
}
