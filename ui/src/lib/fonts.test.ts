// The bundled faces: every script names arrive in has one, each file exists, and no face claims
// Latin text (a face without a unicode-range would be fetched for any character).
import { describe, expect, it } from "vitest";
import css from "../app.css?raw";

// The font files the packages ship, by path; only the keys are read (nothing is loaded).
const shipped = Object.keys(import.meta.glob("/node_modules/@fontsource/*/files/*.woff2"));

interface Face {
  family: string;
  weight: number;
  file: string;
  ranges: [number, number][];
}

function faces(text: string): Face[] {
  return [...text.matchAll(/@font-face\s*\{([^}]*)\}/g)].map((m) => {
    const body = m[1] ?? "";
    const prop = (name: string) => new RegExp(`${name}:\\s*([^;]+);`).exec(body)?.[1]?.trim() ?? "";
    const ranges = prop("unicode-range")
      .split(",")
      .map((r) => r.trim().replace(/^U\+/i, ""))
      .filter(Boolean)
      .map((r) => {
        const [lo, hi] = r.split("-");
        return [parseInt(lo ?? "", 16), parseInt(hi ?? lo ?? "", 16)] as [number, number];
      });
    return {
      family: prop("font-family").replace(/["']/g, ""),
      weight: Number(prop("font-weight")),
      file: /url\("?@fontsource\/([^")]+)"?\)/.exec(body)?.[1] ?? "",
      ranges,
    };
  });
}

const covers = (face: Face, ch: string) => {
  const cp = ch.codePointAt(0) ?? 0;
  return face.ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
};

describe("bundled fonts", () => {
  const all = faces(css);

  it("has a face, at the regular weight, for every script names come in", () => {
    for (const [ch, family] of [
      ["김", "Noto Sans KR"],
      ["さ", "Noto Sans JP"],
      ["鈴", "Noto Sans JP"],
      ["张", "Noto Sans SC"],
      ["श", "Noto Sans Devanagari"],
      ["م", "Noto Sans Arabic"],
      ["ส", "Noto Sans Thai"],
    ] as const) {
      const face = all.find((f) => f.family === family && f.weight === 400 && covers(f, ch));
      expect(face, `${family} for ${ch}`).toBeDefined();
    }
  });

  it("points every face at a file the package ships", () => {
    expect(all.length).toBeGreaterThan(0);
    for (const face of all) {
      expect(shipped, face.family).toContain(`/node_modules/@fontsource/${face.file}`);
    }
  });

  it("keeps every face off Latin text and the rule count small", () => {
    for (const face of all) {
      expect(face.ranges.length, face.family).toBeGreaterThan(0);
      for (const ch of ["A", "z", "0", " ", "é"]) expect(covers(face, ch), `${face.family} ${ch}`).toBe(false);
    }
    // Hundreds of sliced rules cost the web process megabytes on every page.
    expect(all.length).toBeLessThanOrEqual(12);
  });
});
