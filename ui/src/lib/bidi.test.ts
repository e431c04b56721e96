// Bidirectional isolation: a name, UPN, role name or reason may carry right-to-left text or
// direction-control characters (U+202E and friends). Shown bare inside a line of the window, such a
// value could reorder the words around it ("approved by X" reading as something else); isolated in a
// <bdi> (or an element with dir="auto"), it cannot. This scans every view for those values shown
// bare.
import { describe, expect, it } from "vitest";

const views = import.meta.glob("/src/**/*.svelte", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

/** Fields that hold text people or the tenant typed. */
const TYPED = /\b(principalName|principalUpn|displayName|upn|roleName|keptBy|confirmedBy|decidedBy|actor|keptReason|justification)\b/;

/** Each `{…}` shown as text (between tags, not inside an attribute), with the markup just before it. */
function textInterpolations(source: string): { expr: string; before: string }[] {
  const markup = source.replace(/<script[\s\S]*?<\/script>/g, "").replace(/<style[\s\S]*?<\/style>/g, "");
  const out: { expr: string; before: string }[] = [];
  for (const m of markup.matchAll(/\{([^{}#/:@][^{}]*)\}/g)) {
    const at = m.index ?? 0;
    // `=>` in an event handler is no tag's end.
    const before = markup.slice(0, at).replace(/=>/g, "=_");
    const lastOpen = before.lastIndexOf("<");
    const lastClose = before.lastIndexOf(">");
    if (lastOpen > lastClose) continue; // inside a tag: an attribute value
    out.push({ expr: m[1] ?? "", before: markup.slice(Math.max(0, lastOpen), at) });
  }
  return out;
}

function isolated(before: string): boolean {
  // The nearest enclosing opening tag is a <bdi>, or sets dir="auto".
  return /^<bdi>/.test(before) || /^<[^>]*\bdir="auto"[^>]*>/.test(before.replace(/=>/g, "=_"));
}

describe("bidirectional isolation", () => {
  it("finds the views", () => {
    expect(Object.keys(views).length).toBeGreaterThan(20);
  });

  it("shows every name, UPN, role name and reason isolated from the text around it", () => {
    const bare: string[] = [];
    for (const [file, source] of Object.entries(views)) {
      for (const { expr, before } of textInterpolations(source)) {
        if (TYPED.test(expr) && !/\.length\b|toLowerCase|===|!==/.test(expr) && !isolated(before)) {
          bare.push(`${file}: {${expr.trim()}} after ${JSON.stringify(before.slice(0, 40))}`);
        }
      }
    }
    expect(bare).toEqual([]);
  });
});
