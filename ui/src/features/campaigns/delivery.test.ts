// Unit tests of what the campaign page says of Entra Access Reviews delivery.
import { describe, expect, it } from "vitest";
import type { DeliveryStatusDto, SyncReport } from "../../ipc";
import type { PublishedReviewDto } from "../../ipc/bindings/PublishedReviewDto";
import { allStopped, stayInRecert, syncProgressLabel, syncSummary } from "./delivery";

const report = (r: Partial<SyncReport>): SyncReport => ({
  recorded: 0,
  unchanged: 0,
  pending: 0,
  unmatched: [],
  ambiguous: [],
  notRecorded: [],
  reset: 0,
  stopped: 0,
  pagesSha256: "",
  ...r,
});

describe("syncSummary", () => {
  it("says what was recorded, taken back and still pending", () => {
    expect(syncSummary(report({ recorded: 1, pending: 3 }))).toBe("1 decision recorded, 3 not decided in Entra yet.");
    expect(syncSummary(report({ recorded: 2, unchanged: 4, reset: 1, pending: 0, stopped: 2 }))).toBe(
      "2 decisions recorded, 4 unchanged, 1 decision reset to not reviewed in Entra and taken back, 0 not decided in Entra yet, 2 reviews stopped.",
    );
  });
});

describe("syncProgressLabel", () => {
  it("counts reviews and decisions read", () => {
    expect(syncProgressLabel(null)).toBe("Reading the reviews in Entra…");
    expect(syncProgressLabel({ reviewsRead: 3, reviews: 40, decisions: 1200 })).toBe("Read 3 of 40 reviews, 1,200 decisions");
  });
});

describe("the items in Recert and the reviews' state", () => {
  const review: PublishedReviewDto = { roleId: "r", roleName: "User Administrator", kind: "eligible", definitionId: "d1", publishedAt: "2026-01-05T09:00:00Z", stoppedAt: null };
  const status: DeliveryStatusDto = {
    delivery: "entraAccessReviews",
    reviews: [review],
    inEntra: 10,
    stayInRecert: [{ why: "azureRole", reason: "Azure resource roles are reviewed in Recert", items: 4 }],
    syncedDecisions: 2,
  };
  it("says why items stay in Recert", () => {
    expect(stayInRecert(status)).toEqual(["4 items: Azure resource roles are reviewed in Recert."]);
  });
  it("knows when every review was stopped", () => {
    expect(allStopped(status)).toBe(false);
    expect(allStopped({ ...status, reviews: [{ ...review, stoppedAt: "2026-01-20T09:00:00Z" }] })).toBe(true);
    expect(allStopped({ ...status, reviews: [] })).toBe(false);
  });
});
