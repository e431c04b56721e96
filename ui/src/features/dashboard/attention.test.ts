// Unit tests of the dashboard's attention list and campaign ordering.
import { describe, expect, it } from "vitest";
import type { CampaignDetailDto, CampaignDto, RemediationPlanDto } from "../../ipc";
import { attention, behind, mostlyUnanswered, sortCampaigns, stillToAct } from "./attention";

const campaign = (over: Partial<CampaignDto>): CampaignDto => ({
  id: "c1", definitionId: "d", name: "Q1", tenantId: "demo", state: "open", stateReason: null,
  periodStart: "2026-01-01T00:00:00Z", periodEnd: "2026-01-21T00:00:00Z", openedAt: null, closedAt: null,
  items: 100, decided: 40, approved: 30, denied: 10, unrouted: 0, overdue: false, stage: 1, stages: 1,
  tally: { exceptions: 0, held: 0, kept: 0, needsPerson: 0 }, ...over,
});

const now = new Date("2026-01-16T00:00:00Z");

describe("behind", () => {
  it("compares the decided share with the time passed", () => {
    const r = { id: "r", upn: "r@c", displayName: "R", assigned: 10, decided: 2 };
    expect(behind(r, 0.75)).toBe(true);
    expect(behind({ ...r, decided: 8 }, 0.75)).toBe(false);
    expect(behind({ ...r, decided: 10 }, 1)).toBe(false);
    expect(behind({ ...r, assigned: 0, decided: 0 }, 1)).toBe(false);
  });
});

describe("attention", () => {
  it("puts overdue campaigns and unrouted items before reviewers behind", () => {
    const campaigns = [
      campaign({ id: "a", name: "A", unrouted: 3 }),
      campaign({ id: "b", name: "B", overdue: true, periodEnd: "2026-01-10T00:00:00Z" }),
      campaign({ id: "c", name: "C", state: "closed", overdue: false, decided: 90 }),
    ];
    const details = new Map<string, CampaignDetailDto>([
      ["a", { campaign: campaigns[0]!, reviewers: [{ id: "1", upn: "slow@c", displayName: "Slow", assigned: 50, decided: 5 }] } as unknown as CampaignDetailDto],
    ]);
    const list = attention(campaigns, details, now);
    expect(list.map((a) => `${a.campaignId}:${a.kind}`)).toEqual(["b:overdue", "a:unrouted", "a:behind"]);
    expect(list[2]!.text).toContain("Slow has 45 of 50 left");
  });
  it("warns when a campaign ends within three days with items open", () => {
    const list = attention([campaign({ periodEnd: "2026-01-17T00:00:00Z" })], new Map(), now);
    expect(list.map((a) => a.kind)).toEqual(["endingSoon"]);
  });
});

describe("ordering", () => {
  it("lists open campaigns by deadline, then scheduled, then the rest newest first", () => {
    const sorted = sortCampaigns([
      campaign({ id: "old", state: "closed", periodStart: "2025-01-01T00:00:00Z" }),
      campaign({ id: "late", periodEnd: "2026-03-01T00:00:00Z" }),
      campaign({ id: "new", state: "closed", periodStart: "2025-10-01T00:00:00Z" }),
      campaign({ id: "soon" }),
    ]);
    expect(sorted.map((c) => c.id)).toEqual(["soon", "late", "new", "old"]);
  });
  it("lists who still has to act, most left first", () => {
    const list = stillToAct([
      { id: "1", upn: "a", displayName: "", assigned: 5, decided: 5 },
      { id: "2", upn: "b", displayName: "", assigned: 5, decided: 1 },
      { id: "3", upn: "c", displayName: "", assigned: 9, decided: 1 },
    ]);
    expect(list.map((r) => r.upn)).toEqual(["c", "b"]);
  });
});

describe("remediation attention", () => {
  it("raises held removals first and notes closed campaigns with removals to apply", () => {
    const closed = campaign({ id: "x", name: "X", state: "closed", decided: 100 });
    const remediating = campaign({ id: "y", name: "Y", state: "remediating", decided: 100 });
    const details = new Map([["x", { outcomes: { keep: 1, remove: 4, exception: 0 } } as unknown as CampaignDetailDto]]);
    const plans = new Map([["y", { counts: { actions: 5, planned: 3, submitted: 0, succeeded: 2, failed: 0, skipped: 0, held: 2, awaitingConfirmation: 1, verifiedRemoved: 0, stillPresent: 0, reappeared: 0, overdue: 0 } } as RemediationPlanDto]]);
    const list = attention([closed, remediating], details, now, plans);
    expect(list.map((a) => `${a.campaignId}:${a.kind}`)).toEqual(["y:held", "x:toApply", "y:toApply"]);
  });
});

describe("mostlyUnanswered", () => {
  it("flags a campaign that closed with most items never decided, and only that", () => {
    const flag = mostlyUnanswered(campaign({ state: "closed", items: 876, decided: 300 }));
    expect(flag?.kind).toBe("unanswered");
    expect(flag?.severity).toBe("high");
    expect(flag?.text).toContain("66% of its items unanswered (576 of 876)");
    expect(mostlyUnanswered(campaign({ state: "completed", items: 10, decided: 5 }))).toBeNull();
    expect(mostlyUnanswered(campaign({ state: "open", items: 10, decided: 0 }))).toBeNull();
    expect(mostlyUnanswered(campaign({ state: "closed", items: 0, decided: 0 }))).toBeNull();
  });
  it("is on the dashboard's list", () => {
    const list = attention([campaign({ id: "q", state: "remediating", items: 10, decided: 2 })], new Map(), now);
    expect(list.map((a) => a.kind)).toContain("unanswered");
  });
});
