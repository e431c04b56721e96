// The worklist's page cache: rows fetched in pages as the user scrolls, keyed by a generation so
// that an answer for an older filter never lands in the new list.
import type { ItemDto, RoleFactDto, WorklistPageDto } from "../../ipc";

export const PAGE_SIZE = 200;

function tierKey(surface: string, roleId: string, group: string | undefined): string {
  return group === undefined ? `${surface}|${roleId}` : `${surface}|${roleId}|${group}`;
}

export class PageCache {
  private pages = new Map<number, ItemDto[]>();
  /** Pages of the previous generation, shown until fresh ones arrive (no flicker on refresh). */
  private stale = new Map<number, ItemDto[]>();
  private inFlight = new Set<number>();
  generation = 0;
  total = 0;
  /** Each role's tier, by `surface|roleId` (a PIM group's by `surface|roleId|group`: the group's
   *  roles make it), as the pages brought them (a tier does not change with the filter, so they
   *  are kept across generations). */
  private tiers = new Map<string, RoleFactDto>();

  /** The tier of an item's role, once a page brought it. */
  tier(item: ItemDto): RoleFactDto | undefined {
    return this.tiers.get(tierKey(item.surface, item.roleId, item.surface === "pimGroup" ? item.scope : undefined));
  }

  /** Starts over for a new filter; `keepStale` keeps old rows on screen while reloading. */
  reset(keepStale: boolean): number {
    this.stale = keepStale ? new Map([...this.stale, ...this.pages]) : new Map();
    this.pages = new Map();
    this.inFlight = new Set();
    this.generation += 1;
    return this.generation;
  }

  /** Forgets the previous generation's rows (the new list's first page is here). */
  dropStale(): void {
    this.stale = new Map();
  }

  item(index: number): ItemDto | undefined {
    const page = Math.floor(index / PAGE_SIZE);
    const rows = this.pages.get(page) ?? this.stale.get(page);
    return rows?.[index - page * PAGE_SIZE];
  }

  /** A loaded row by item id, wherever it is. */
  find(id: number): ItemDto | undefined {
    for (const map of [this.pages, this.stale]) {
      for (const rows of map.values()) {
        const hit = rows.find((row) => row.id === id);
        if (hit) return hit;
      }
    }
    return undefined;
  }

  /** Pages to request now (not loaded for this generation and not already on their way). */
  wanted(pages: number[]): number[] {
    return pages.filter((p) => !this.pages.has(p) && !this.inFlight.has(p));
  }

  begin(page: number): void {
    this.inFlight.add(page);
  }

  /** Stores an answer; returns false (and stores nothing) when it belongs to an older generation. */
  accept(generation: number, page: number, answer: WorklistPageDto): boolean {
    if (generation !== this.generation) return false;
    this.inFlight.delete(page);
    this.pages.set(page, answer.items);
    for (const r of answer.roles ?? []) this.tiers.set(tierKey(r.surface, r.roleId, r.scope), r);
    this.stale.delete(page);
    this.total = answer.total;
    return true;
  }

  fail(generation: number, page: number): void {
    if (generation === this.generation) this.inFlight.delete(page);
  }

  /** Replaces rows in place (after a decision) wherever they are loaded. */
  patch(update: (item: ItemDto) => ItemDto | undefined): void {
    for (const map of [this.pages, this.stale]) {
      for (const [page, rows] of map) {
        let changed = false;
        const next = rows.map((row) => {
          const u = update(row);
          if (u && u !== row) changed = true;
          return u ?? row;
        });
        if (changed) map.set(page, next);
      }
    }
  }
}
