// Unit tests of the audit log viewer's helpers.
import { describe, expect, it } from "vitest";
import {
  activeFilters, auditQuery, chainSummary, detailsPretty, detailsSummary, kindLabel, NO_AUDIT_FILTERS, rangeLabel,
  subjectParts,
} from "./audit";

describe("auditQuery", () => {
  it("sends blank filters as null and trims the rest", () => {
    expect(auditQuery({ ...NO_AUDIT_FILTERS, actor: "  ", search: " on call " }, 50, 25)).toEqual({
      campaignId: null, actor: null, kind: null, search: "on call", offset: 50, limit: 25,
    });
    expect(auditQuery({ campaignId: "q1", actor: "adele@contoso.com", kind: "decision.recorded", search: "" }, 0)).toMatchObject({
      campaignId: "q1", actor: "adele@contoso.com", kind: "decision.recorded", search: null, offset: 0, limit: 50,
    });
  });

  it("counts the filters that narrow the list", () => {
    expect(activeFilters(NO_AUDIT_FILTERS)).toBe(0);
    expect(activeFilters({ campaignId: "q1", actor: "", kind: "campaign.opened", search: " " })).toBe(2);
  });
});

describe("labels", () => {
  it("reads kinds as words", () => {
    expect(kindLabel("campaign.opened")).toBe("Campaign opened");
    expect(kindLabel("tenant.connectionSaved")).toBe("Tenant connection saved");
    expect(kindLabel("")).toBe("");
  });

  it("splits subjects into their area and id", () => {
    expect(subjectParts("campaign/q1-2026")).toEqual({ area: "Campaign", id: "q1-2026" });
    expect(subjectParts("setting/remediation/safety")).toEqual({ area: "Setting", id: "remediation/safety" });
    expect(subjectParts("plain")).toEqual({ area: "", id: "plain" });
  });

  it("summarises details on one line and counts long lists", () => {
    expect(detailsSummary('{"items":[1,2],"approve":1,"why":"on call"}')).toBe("items: 1, 2 · approve: 1 · why: on call");
    expect(detailsSummary('{"items":[1,2,3,4,5],"nested":{"a":1},"none":[],"gone":null}')).toBe(
      "items: 5 entries · nested: {…} · none: none · gone: —",
    );
    expect(detailsSummary("{}")).toBe("—");
    expect(detailsSummary("not json")).toBe("not json");
    expect(detailsPretty('{"a":1}')).toBe('{\n  "a": 1\n}');
  });

  it("states the chain's verdict", () => {
    expect(chainSummary({ intact: true, seq: 1234, headHash: "ab", problem: null })).toBe("Chain intact up to event 1,234");
    expect(chainSummary({ intact: true, seq: 0, headHash: "00", problem: null })).toBe("The audit log is empty");
    expect(chainSummary({ intact: false, seq: 7, headHash: null, problem: "its content was changed after it was written" })).toBe(
      "Chain broken at event 7: its content was changed after it was written",
    );
  });

  it("labels the rows on screen", () => {
    expect(rangeLabel(0, 50, 1234)).toBe("1–50 of 1,234");
    expect(rangeLabel(1200, 34, 1234)).toBe("1,201–1,234 of 1,234");
    expect(rangeLabel(0, 0, 0)).toBe("0 of 0");
  });
});
