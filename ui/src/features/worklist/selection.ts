// The worklist's keyboard and mouse selection model: a cursor row, a set of selected item ids and
// an anchor for ranges. Pure functions over plain values, so the rules are easy to test.

export interface Selection {
  /** Row index of the cursor (the row the detail pane shows), -1 when the list is empty. */
  cursor: number;
  /** Row index where a shift-range starts. */
  anchor: number;
  /** Selected item ids (ids survive re-fetching; indices do not). */
  selected: ReadonlySet<number>;
}

/** Item id at a row index, or undefined while that row's page is not loaded. */
export type IdAt = (index: number) => number | undefined;

export function emptySelection(total: number): Selection {
  return { cursor: total > 0 ? 0 : -1, anchor: total > 0 ? 0 : -1, selected: new Set() };
}

function clamp(i: number, total: number): number {
  return total <= 0 ? -1 : Math.min(total - 1, Math.max(0, i));
}

function range(from: number, to: number, idAt: IdAt): number[] {
  const ids: number[] = [];
  const [a, b] = from <= to ? [from, to] : [to, from];
  for (let i = a; i <= b; i++) {
    const id = idAt(i);
    if (id !== undefined) ids.push(id);
  }
  return ids;
}

/** j/k: move the cursor; with shift, extend the selection from the anchor to the new row. */
export function move(sel: Selection, delta: number, extend: boolean, total: number, idAt: IdAt): Selection {
  const cursor = clamp(sel.cursor + delta, total);
  if (!extend) return { ...sel, cursor, anchor: cursor };
  const anchor = sel.anchor < 0 ? clamp(sel.cursor, total) : sel.anchor;
  const selected = new Set(sel.selected);
  for (const id of range(anchor, cursor, idAt)) selected.add(id);
  return { cursor, anchor, selected };
}

/** Space: toggle the cursor row's selection. */
export function toggle(sel: Selection, idAt: IdAt): Selection {
  const id = idAt(sel.cursor);
  if (id === undefined) return sel;
  const selected = new Set(sel.selected);
  if (selected.has(id)) selected.delete(id);
  else selected.add(id);
  return { ...sel, anchor: sel.cursor, selected };
}

/** A click: plain moves the cursor; ctrl/cmd toggles the row; shift selects the range from the anchor. */
export function click(
  sel: Selection,
  index: number,
  mods: { shift: boolean; toggle: boolean },
  idAt: IdAt,
): Selection {
  if (mods.shift) {
    const anchor = sel.anchor < 0 ? index : sel.anchor;
    const selected = new Set(sel.selected);
    for (const id of range(anchor, index, idAt)) selected.add(id);
    return { cursor: index, anchor, selected };
  }
  if (mods.toggle) return toggle({ ...sel, cursor: index }, idAt);
  return { ...sel, cursor: index, anchor: index };
}

/** x: select every row in [start, end); if all of them already are, clear them instead. */
export function selectAll(sel: Selection, start: number, end: number, idAt: IdAt): Selection {
  const ids = end > start ? range(start, end - 1, idAt) : [];
  const selected = new Set(sel.selected);
  const all = ids.length > 0 && ids.every((id) => selected.has(id));
  for (const id of ids) {
    if (all) selected.delete(id);
    else selected.add(id);
  }
  return { ...sel, selected };
}

export function clear(sel: Selection): Selection {
  return { ...sel, selected: new Set() };
}

/** What a/d act on: the selection when there is one, else the cursor row. */
export function targets(sel: Selection, idAt: IdAt): number[] {
  if (sel.selected.size > 0) return [...sel.selected];
  const id = idAt(sel.cursor);
  return id === undefined ? [] : [id];
}

/** After the list changes length (a new filter), keep the cursor inside it. */
export function fit(sel: Selection, total: number): Selection {
  const cursor = clamp(sel.cursor < 0 ? 0 : sel.cursor, total);
  return { ...sel, cursor, anchor: clamp(sel.anchor < 0 ? cursor : sel.anchor, total) };
}
