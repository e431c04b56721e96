// The reviewer filter: suggestions for thousands of reviewers, and choosing and clearing one.
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ReviewerProgressDto } from "../../ipc";
import ReviewerFilter from "./ReviewerFilter.svelte";
import { matchReviewers, reviewerLabel } from "../../lib/reviewers";

const r = (upn: string, displayName: string, assigned: number, decided = 0): ReviewerProgressDto => ({ id: `id-${upn}`, upn, displayName, assigned, decided });

const many: ReviewerProgressDto[] = Array.from({ length: 4000 }, (_, i) => r(`user${i}@contoso.com`, `User ${i}`, i % 50, 0));
const people = [
  r("megan.bowen@contoso.com", "Megan Bowen", 12, 2),
  r("adele.vance@contoso.com", "Adele Vance", 30, 29),
  r("lee.gu@contoso.com", "Lee Gu", 4),
  r("ben.megan@contoso.com", "Ben Walters", 40),
  r("jihoon.lee@contoso.com", "이지훈", 9),
];

afterEach(() => {
  cleanup();
});

describe("matchReviewers", () => {
  it("puts names and UPNs that start with the text first, then those with most left", () => {
    expect(matchReviewers(people, "meg").map((x) => x.upn)).toEqual(["megan.bowen@contoso.com", "ben.megan@contoso.com"]);
    expect(matchReviewers(people, "LEE").map((x) => x.upn)).toEqual(["lee.gu@contoso.com", "jihoon.lee@contoso.com"]);
    expect(matchReviewers(people, "이지").map((x) => x.displayName)).toEqual(["이지훈"]);
    expect(matchReviewers(people, "nobody")).toEqual([]);
  });

  it("suggests a handful out of thousands, most left first when nothing is typed", () => {
    const top = matchReviewers(many, "", 8);
    expect(top).toHaveLength(8);
    expect(top.every((x) => x.assigned === 49)).toBe(true);
    expect(matchReviewers(many, "user12", 8).every((x) => x.upn.startsWith("user12"))).toBe(true);
  });
});

describe("ReviewerFilter", () => {
  it("filters by the reviewer picked from the suggestions, and clears when emptied", async () => {
    const onchange = vi.fn();
    const { rerender } = render(ReviewerFilter, { reviewers: people, value: "", onchange });
    const box = screen.getByRole("combobox", { name: "Reviewer" }) as HTMLInputElement;
    await fireEvent.focus(box);
    await fireEvent.input(box, { target: { value: "lee" } });
    expect(screen.getAllByRole("option")).toHaveLength(2);
    await fireEvent.keyDown(box, { key: "ArrowDown" });
    await fireEvent.keyDown(box, { key: "Enter" });
    expect(onchange).toHaveBeenLastCalledWith("jihoon.lee@contoso.com");

    await rerender({ reviewers: people, value: "jihoon.lee@contoso.com", onchange });
    expect(box.value).toBe(reviewerLabel(people[4]!));
    // Half-typed text left behind shows the filter as it stands again.
    await fireEvent.input(box, { target: { value: "meg" } });
    await fireEvent.blur(box);
    expect(box.value).toBe(reviewerLabel(people[4]!));
    expect(onchange).toHaveBeenCalledTimes(1);
    await fireEvent.input(box, { target: { value: "" } });
    expect(onchange).toHaveBeenLastCalledWith("");
  });

  it("picks with the mouse and closes the list", async () => {
    const onchange = vi.fn();
    render(ReviewerFilter, { reviewers: many, value: "", onchange });
    const box = screen.getByRole("combobox", { name: "Reviewer" });
    await fireEvent.focus(box);
    await fireEvent.input(box, { target: { value: "user3999" } });
    await fireEvent.mouseDown(screen.getByRole("option"));
    expect(onchange).toHaveBeenLastCalledWith("user3999@contoso.com");
    expect(screen.queryByRole("listbox")).toBeNull();
  });
});
