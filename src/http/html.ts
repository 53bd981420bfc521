// HTML built with a tagged template that escapes every interpolated value: html`<p>${name}</p>`.
// Spec: HTML Standard, "escaping a string" (serializing HTML fragments); OWASP XSS Prevention Cheat
// Sheet rules 1–2 (escape & < > " ' in text and quoted attributes). Escape output, never mangle input.
// Pitfall: string concatenation lets a username like `</div><script>` run as code; here it shows
// as text. Only text and *quoted* attribute values are safe contexts: never interpolate into
// <script>, <style>, unquoted attributes or href="javascript:…" (validate URLs separately).
// Bad input: any value is accepted; null, undefined and false render as "".

const htmlEscapes: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => htmlEscapes[character] ?? character);
}

/** Markup that is already safe: the output of html`…`, or a trusted constant via rawHtml(). */
export class SafeHtml {
  readonly value: string;

  constructor(value: string) {
    this.value = value;
  }

  toString(): string {
    return this.value;
  }
}

/** Wraps a constant the program wrote itself. Never pass user input or anything read from a request. */
export function rawHtml(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? "";
  for (let index = 0; index < values.length; index++) {
    out += renderValue(values[index]) + (strings[index + 1] ?? "");
  }
  return new SafeHtml(out);
}

function renderValue(value: unknown): string {
  // `${condition && html`…`}` yields false when the condition fails: render nothing.
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof SafeHtml) return value.value;
  // Lists (items.map((item) => html`<li>${item}</li>`)) join with "", each item by the same rules.
  if (Array.isArray(value)) return value.map(renderValue).join("");
  return escapeHtml(String(value));
}
