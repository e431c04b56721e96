// One set of words: every surface and every place a decision is made has its own.
import { describe, expect, it } from "vitest";
import { decisionSourceWord, surfaceWord } from "./words";

describe("words", () => {
  it("names each surface for people, never by the enum's value", () => {
    expect(surfaceWord("directoryRole")).toBe("Entra role");
    expect(surfaceWord("pimGroup", true)).toBe("PIM groups");
    expect(surfaceWord("azureRole")).toBe("Azure role");
  });

  it("says where a decision was made, telling an import and Entra from the window", () => {
    expect(decisionSourceWord("window")).toBe("in Recert");
    expect(decisionSourceWord("import")).toBe("imported from a CSV by an admin");
    expect(decisionSourceWord("entraAccessReviews")).toBe("in Entra Access Reviews");
  });
});
