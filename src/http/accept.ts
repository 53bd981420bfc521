// Does the client prefer JSON over text/HTML? Reads the Accept header's media ranges and q-values.
// Spec: RFC 9110 §12.5.1 (the most specific matching range sets a type's weight; q=0 means "not
// acceptable"; no Accept header means anything goes).
// Pitfall: `accept.includes("json")` says yes to browsers sending `*/*` after HTML, and to
// `application/json;q=0`; error pages then arrive as JSON in a browser tab.
// Bad input: malformed ranges and q-values are skipped, never thrown on; the answer is then "text".

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

export function prefersJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = parseAccept(accept);
  const json = weightOf(ranges, "application", "json");
  // Ties go to text: `*/*` alone (fetch's default) stays text.
  return json > 0 && json > weightOf(ranges, "text", "html") && json > weightOf(ranges, "text", "plain");
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(",")) {
    const [mediaRange = "", ...parameters] = part.split(";");
    const match = /^\s*([\w!#$%&'*+.^`|~-]+)\/([\w!#$%&'*+.^`|~-]+)\s*$/.exec(mediaRange);
    if (!match) continue;
    let q = 1;
    for (const parameter of parameters) {
      const qMatch = /^\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*$/i.exec(parameter);
      if (qMatch) q = Number(qMatch[1]);
    }
    ranges.push({ type: (match[1] ?? "").toLowerCase(), subtype: (match[2] ?? "").toLowerCase(), q });
  }
  return ranges;
}

/** The q-value of the most specific range matching type/subtype (0 when none matches). */
function weightOf(ranges: readonly MediaRange[], type: string, subtype: string): number {
  let bestSpecificity = -1;
  let weight = 0;
  for (const range of ranges) {
    const specificity =
      range.type === type && range.subtype === subtype ? 2
      : range.type === type && range.subtype === "*" ? 1
      : range.type === "*" && range.subtype === "*" ? 0
      : -1;
    if (specificity > bestSpecificity) {
      bestSpecificity = specificity;
      weight = range.q;
    }
  }
  return weight;
}
