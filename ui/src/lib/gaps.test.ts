// Unit tests of the gap helpers shown in the population view and the campaign open flow.
import { describe, expect, it } from "vitest";
import type { PullGapDto } from "../ipc";
import { acceptable, areaLabel, byArea, gapObject, reasonLabel } from "./gaps";

const gap = (area: PullGapDto["area"], objectId: string | null, objectName: string | null, reason: PullGapDto["reason"]): PullGapDto => ({
  area,
  objectId,
  objectName,
  reason,
  detail: "",
  description: "",
});

describe("gaps", () => {
  it("groups by area in a fixed order, keeping each area's objects in order", () => {
    const gaps = [
      gap("azureRole", null, null, "notConsented"),
      gap("pimGroup", "g2", "Finance", "forbidden"),
      gap("pimGroup", "g1", null, "notFound"),
    ];
    expect(byArea(gaps).map((g) => [g.label, g.gaps.map((x) => x.objectId)])).toEqual([
      ["PIM groups", ["g2", "g1"]],
      ["Azure roles", [null]],
    ]);
  });

  it("names the object, or the whole area", () => {
    expect(gapObject(gap("pimGroup", "g2", "Finance", "forbidden"))).toBe("Finance (g2)");
    expect(gapObject(gap("pimGroup", "g1", null, "notFound"))).toBe("g1");
    expect(gapObject(gap("azureRole", null, null, "notConsented"))).toBe("all of it");
  });

  it("labels every area and reason", () => {
    expect(areaLabel("signInActivity")).toBe("Last sign-in");
    expect(reasonLabel("partialScope")).toBe("readable only below the subscription");
  });

  it("accepts only a reason that is not blank", () => {
    expect(acceptable("  ")).toBe(false);
    expect(acceptable("HR groups are reviewed in their own campaign")).toBe(true);
  });
});
