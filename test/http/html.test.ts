import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeHtml, html, rawHtml, SafeHtml } from "../../src/http/html.ts";

describe("escapeHtml", () => {
  it("escapes the five characters that matter in text and quoted attributes", () => {
    assert.equal(escapeHtml(`&<>"'`), "&amp;&lt;&gt;&quot;&#39;");
  });

  it("escapes an already escaped entity again instead of trusting it", () => {
    assert.equal(escapeHtml("&amp;"), "&amp;amp;");
  });

  it("leaves other text, including non-ASCII, unchanged", () => {
    assert.equal(escapeHtml("Jürgen 🙂 / = `"), "Jürgen 🙂 / = `");
  });
});

describe("html``", () => {
  it("shows a username like </div><script> as text, never as markup", () => {
    const name = "</div><script>alert(1)</script>";
    assert.equal(html`<div>${name}</div>`.value, "<div>&lt;/div&gt;&lt;script&gt;alert(1)&lt;/script&gt;</div>");
  });

  it("keeps a quoted attribute closed against double and single quotes", () => {
    assert.equal(html`<input value="${`" autofocus onfocus="alert(1)`}">`.value, `<input value="&quot; autofocus onfocus=&quot;alert(1)">`);
    assert.equal(html`<input value='${`' onfocus='x`}'>`.value, `<input value='&#39; onfocus=&#39;x'>`);
  });

  it("escapes & so that user text cannot form entities", () => {
    assert.equal(html`<p>${"Tom & Jerry &lt;3"}</p>`.value, "<p>Tom &amp; Jerry &amp;lt;3</p>");
  });

  it("inserts nested SafeHtml as is, without escaping it twice", () => {
    const inner = html`<b>${"<i>"}</b>`;
    assert.equal(html`<p>${inner}</p>`.value, "<p><b>&lt;i&gt;</b></p>");
  });

  it("joins arrays with nothing between items, each item escaped by the same rules", () => {
    const items = ["a<b", "c&d"].map((item) => html`<li>${item}</li>`);
    assert.equal(html`<ul>${items}</ul>`.value, "<ul><li>a&lt;b</li><li>c&amp;d</li></ul>");
    assert.equal(html`${["<x>", rawHtml("<br>"), ["<y>"]]}`.value, "&lt;x&gt;<br>&lt;y&gt;");
  });

  it("renders null, undefined and false as nothing, and numbers and true as text", () => {
    const none = html`[${null}|${undefined}|${false}]`;
    assert.equal(none.value, "[||]");
    assert.equal(html`${0} ${42} ${true}`.value, "0 42 true");
  });

  it("renders a failed `condition && html`…`` as nothing", () => {
    const loggedIn = false;
    assert.equal(html`<nav>${loggedIn && html`<a href="/logout">Log out</a>`}</nav>`.value, "<nav></nav>");
  });

  it("escapes a value that only looks like SafeHtml (a plain object with a value)", () => {
    assert.equal(html`${{ value: "<b>", toString: () => "<b>" }}`.value, "&lt;b&gt;");
  });

  it("returns SafeHtml whose toString is the markup", () => {
    const page = html`<p>${"x"}</p>`;
    assert.ok(page instanceof SafeHtml);
    assert.equal(`${page}`, "<p>x</p>");
  });
});

describe("rawHtml", () => {
  it("passes a trusted constant through unescaped", () => {
    assert.equal(rawHtml("<!doctype html>").value, "<!doctype html>");
  });
});
