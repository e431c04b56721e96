// Unit tests of the worklist's pure logic: window math, selection, filters and the page cache.
import { describe, expect, it, vi } from "vitest";
import type { ItemDto } from "../../ipc";
import { PageCache, PAGE_SIZE } from "./pages";
import { activeCount, debounce, filterKey, NO_FILTERS, toQuery } from "./query";
import { click, emptySelection, fit, move, selectAll, targets, toggle } from "./selection";
import { fullyVisible, pagesFor, revealRow, rowWindow, scale, scaledWindow, toPhysical, toVirtual } from "./virtual";

describe("rowWindow", () => {
  it("renders only the rows in view plus the overscan, at 100,000 rows", () => {
    const w = rowWindow(40 * 50_000, 600, 40, 100_000, 5);
    expect(w.height).toBe(4_000_000);
    expect(w.start).toBe(50_000 - 5);
    expect(w.end).toBe(50_000 + 16 + 5);
    expect(w.offset).toBe(w.start * 40);
    expect(w.end - w.start).toBeLessThan(40);
  });
  it("clamps at the top and bottom and handles an empty list", () => {
    expect(rowWindow(-100, 600, 40, 1000, 5).start).toBe(0);
    const bottom = rowWindow(1e9, 600, 40, 1000, 5);
    expect(bottom.end).toBe(1000);
    expect(rowWindow(0, 600, 40, 0)).toEqual({ start: 0, end: 0, offset: 0, height: 0 });
  });
});

describe("pagesFor", () => {
  it("lists the pages covering a row range", () => {
    expect(pagesFor(0, 10, 200)).toEqual([0]);
    expect(pagesFor(195, 215, 200)).toEqual([0, 1]);
    expect(pagesFor(400, 400, 200)).toEqual([]);
  });
});

describe("revealRow", () => {
  it("scrolls up or down only when the row is out of view", () => {
    expect(revealRow(5, 400, 400, 40)).toBe(200);
    expect(revealRow(20, 0, 400, 40)).toBe(440);
    expect(revealRow(3, 0, 400, 40)).toBeNull();
    expect(revealRow(9, 0, 400, 40, 40)).toBe(40);
  });
});

describe("fullyVisible", () => {
  it("takes whole rows only", () => {
    expect(fullyVisible(20, 400, 40, 1000)).toEqual({ start: 1, end: 10 });
    expect(fullyVisible(0, 400, 40, 3)).toEqual({ start: 0, end: 3 });
  });
});

const idAt = (i: number) => (i >= 0 && i < 10 ? 100 + i : undefined);

describe("selection", () => {
  it("moves the cursor with j/k and stops at the ends", () => {
    let s = emptySelection(10);
    s = move(s, 1, false, 10, idAt);
    expect(s.cursor).toBe(1);
    s = move(s, -5, false, 10, idAt);
    expect(s.cursor).toBe(0);
    s = move(s, 50, false, 10, idAt);
    expect(s.cursor).toBe(9);
    expect(s.selected.size).toBe(0);
  });
  it("extends a range with shift+j/k from the anchor", () => {
    let s = emptySelection(10);
    s = move(s, 2, false, 10, idAt);
    s = move(s, 1, true, 10, idAt);
    s = move(s, 1, true, 10, idAt);
    expect([...s.selected].sort()).toEqual([102, 103, 104]);
  });
  it("toggles with space and acts on the cursor when nothing is selected", () => {
    let s = emptySelection(10);
    expect(targets(s, idAt)).toEqual([100]);
    s = toggle(move(s, 3, false, 10, idAt), idAt);
    expect(targets(s, idAt)).toEqual([103]);
    s = toggle(s, idAt);
    expect(s.selected.size).toBe(0);
  });
  it("selects a range on shift-click and toggles on ctrl-click", () => {
    let s = click(emptySelection(10), 2, { shift: false, toggle: false }, idAt);
    s = click(s, 5, { shift: true, toggle: false }, idAt);
    expect([...s.selected].sort()).toEqual([102, 103, 104, 105]);
    s = click(s, 8, { shift: false, toggle: true }, idAt);
    expect(s.selected.has(108)).toBe(true);
  });
  it("x selects all visible rows, and again clears them", () => {
    let s = selectAll(emptySelection(10), 2, 5, idAt);
    expect([...s.selected].sort()).toEqual([102, 103, 104]);
    s = selectAll(s, 2, 5, idAt);
    expect(s.selected.size).toBe(0);
  });
  it("skips rows whose page is not loaded", () => {
    const s = selectAll(emptySelection(20), 8, 14, idAt);
    expect([...s.selected].sort()).toEqual([108, 109]);
  });
  it("keeps the cursor inside a shorter list", () => {
    const s = fit({ cursor: 9, anchor: 9, selected: new Set() }, 4);
    expect(s.cursor).toBe(3);
    expect(fit(s, 0).cursor).toBe(-1);
  });
});

describe("filters", () => {
  it("turns blank fields into no filter and trims the search", () => {
    const q = toQuery({ ...NO_FILTERS, search: "  adele  ", decision: "undecided" }, 200, 200);
    expect(q).toMatchObject({ search: "adele", decision: "undecided", roleId: null, offset: 200, limit: 200 });
  });
  it("lets My reviews override the reviewer filter", () => {
    expect(toQuery({ ...NO_FILTERS, reviewer: "x@y" }, 0, 200, "me@y").reviewer).toBe("me@y");
  });
  it("counts active filters and keys filter sets", () => {
    expect(activeCount(NO_FILTERS)).toBe(0);
    expect(activeCount({ ...NO_FILTERS, kind: "active", unrouted: true, search: " " })).toBe(2);
    expect(filterKey(NO_FILTERS)).toBe(filterKey({ ...NO_FILTERS, search: "  " }));
    expect(filterKey(NO_FILTERS)).not.toBe(filterKey({ ...NO_FILTERS, kind: "active" }));
  });
  it("groups by person on request, which starts the list over but filters nothing", () => {
    const byPerson = { ...NO_FILTERS, groupBy: "person" };
    expect(toQuery(byPerson, 0, 200).groupBy).toBe("person");
    expect(toQuery(NO_FILTERS, 0, 200).groupBy).toBeNull();
    expect(activeCount(byPerson)).toBe(0);
    expect(filterKey(byPerson)).not.toBe(filterKey(NO_FILTERS));
  });
  it("debounces keystrokes into one call", () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const d = debounce(fn, 150);
    d("a");
    d("ab");
    vi.advanceTimersByTime(149);
    d("abc");
    vi.advanceTimersByTime(150);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith("abc");
    vi.useRealTimers();
  });
});

const item = (id: number): ItemDto => ({
  id, surface: "directoryRole", kind: "eligible", sourceId: `s${id}`, roleId: "r", roleName: "Role", scope: "/", principalId: `p${id}`,
  principalType: "user", principalName: `P ${id}`, principalUpn: null, accountEnabled: null, membership: "direct",
  start: null, end: null, lastActivation: null, recommendation: null, recommendationReason: null, decision: null,
  decidedAt: null, decidedBy: null, outcome: null, outcomeReason: null, reviewers: [], decisionUntil: null, stage: 1,
});

describe("PageCache", () => {
  it("drops answers for an older filter and keeps stale rows while reloading", () => {
    const cache = new PageCache();
    const g1 = cache.reset(false);
    cache.begin(0);
    expect(cache.accept(g1, 0, { items: [item(1), item(2)], total: 2, offset: 0, roles: [] })).toBe(true);
    expect(cache.item(1)?.id).toBe(2);
    const g2 = cache.reset(true);
    expect(cache.item(0)?.id).toBe(1);
    expect(cache.wanted([0])).toEqual([0]);
    expect(cache.accept(g1, 0, { items: [item(9)], total: 1, offset: 0, roles: [] })).toBe(false);
    expect(cache.accept(g2, 0, { items: [item(3)], total: 1, offset: 0, roles: [] })).toBe(true);
    expect(cache.item(0)?.id).toBe(3);
    expect(cache.total).toBe(1);
  });
  it("shows the old list's later pages until the new list starts", () => {
    const cache = new PageCache();
    const g1 = cache.reset(false);
    cache.accept(g1, 1, { items: [item(5)], total: PAGE_SIZE + 1, offset: PAGE_SIZE, roles: [] });
    const g2 = cache.reset(true);
    cache.accept(g2, 0, { items: [item(6)], total: 1, offset: 0, roles: [] });
    expect(cache.item(PAGE_SIZE)?.id).toBe(5);
    cache.dropStale();
    expect(cache.item(PAGE_SIZE)).toBeUndefined();
  });
  it("does not ask twice for a page in flight and patches rows after a decision", () => {
    const cache = new PageCache();
    const g = cache.reset(false);
    cache.begin(1);
    expect(cache.wanted([0, 1])).toEqual([0]);
    cache.accept(g, 1, { items: [item(7)], total: PAGE_SIZE + 1, offset: PAGE_SIZE, roles: [] });
    cache.patch((row) => (row.id === 7 ? { ...row, decision: "deny" } : undefined));
    expect(cache.item(PAGE_SIZE)?.decision).toBe("deny");
    expect(cache.find(7)?.decision).toBe("deny");
    expect(cache.find(8)).toBeUndefined();
  });
  it("keeps each role's tier as the pages bring it, across filters", () => {
    const cache = new PageCache();
    const g = cache.reset(false);
    const fact = { surface: item(1).surface, roleId: item(1).roleId, tier: "critical" as const, reason: "A critical role" };
    cache.accept(g, 0, { items: [item(1)], total: 1, offset: 0, roles: [fact] });
    cache.reset(false);
    expect(cache.tier(item(1))).toEqual(fact);
  });
  it("gives each PIM group the tier of the roles it holds, not one tier for every membership", () => {
    const cache = new PageCache();
    const g = cache.reset(false);
    const member = (id: number, group: string) => ({ ...item(id), surface: "pimGroup" as const, roleId: "member", scope: group });
    const admins = { surface: "pimGroup", roleId: "member", scope: "g-admins", tier: "critical" as const, reason: "Its members hold Global Administrator" };
    const readers = { surface: "pimGroup", roleId: "member", scope: "g-readers", tier: "standard" as const, reason: "Its members hold Reports Reader" };
    cache.accept(g, 0, { items: [member(1, "g-admins"), member(2, "g-readers")], total: 2, offset: 0, roles: [admins, readers] });
    expect(cache.tier(member(1, "g-admins"))).toEqual(admins);
    expect(cache.tier(member(2, "g-readers"))).toEqual(readers);
    expect(cache.tier(member(3, "g-other"))).toBeUndefined();
  });
});

describe("scaled scrolling", () => {
  it("leaves lists that fit alone", () => {
    const w = scaledWindow(400, 600, 40, 1000, 5, 1_000_000);
    expect(w).toMatchObject(rowWindow(400, 600, 40, 1000, 5));
  });
  it("maps a tall list onto at most the maximum height, reaching both ends", () => {
    const max = 1_000_000;
    const total = 100_000;
    const s = scale(total, 52, 600, max);
    expect(s.physical).toBe(max);
    expect(s.ratio).toBeGreaterThan(5);
    const top = scaledWindow(0, 600, 52, total, 5, max);
    expect(top.start).toBe(0);
    expect(top.offset).toBe(0);
    const bottom = scaledWindow(max - 600, 600, 52, total, 5, max);
    expect(bottom.end).toBe(total);
    // The last row's bottom edge meets the bottom of the viewport.
    const lastTop = bottom.offset + (total - 1 - bottom.start) * 52;
    expect(lastTop + 52).toBeCloseTo(max, 5);
  });
  it("converts between virtual and physical positions", () => {
    const s = scale(100_000, 52, 600, 1_000_000);
    const v = toVirtual(250_000, s, 600);
    expect(toPhysical(v, s)).toBeCloseTo(250_000, 6);
  });
});
