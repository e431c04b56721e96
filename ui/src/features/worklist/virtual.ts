// Window math for the virtualized worklist: which rows to render for a scroll position, which
// pages to fetch for them, and where to scroll to keep the cursor row in view.

export interface RowWindow {
  /** First rendered row index (inclusive). */
  start: number;
  /** One past the last rendered row index. */
  end: number;
  /** Pixels above the first rendered row. */
  offset: number;
  /** Height of the whole list, in pixels. */
  height: number;
}

export function rowWindow(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  total: number,
  overscan = 8,
): RowWindow {
  const height = Math.max(0, total * rowHeight);
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, offset: 0, height };
  const top = Math.max(0, Math.min(scrollTop, Math.max(0, height - viewport)));
  const first = Math.floor(top / rowHeight);
  const visible = Math.ceil(Math.max(viewport, rowHeight) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(total, first + visible + overscan);
  return { start, end, offset: start * rowHeight, height };
}

/** The page numbers (of `pageSize` rows) covering rows [start, end). */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const first = Math.floor(start / pageSize);
  const last = Math.floor((end - 1) / pageSize);
  const pages: number[] = [];
  for (let p = first; p <= last; p++) pages.push(p);
  return pages;
}

/**
 * The scroll position that brings row `index` fully into view, or null when it already is.
 * Rows under a sticky header of `headerHeight` pixels count as hidden.
 */
export function revealRow(
  index: number,
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  headerHeight = 0,
): number | null {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewport - headerHeight) return bottom - viewport + headerHeight;
  return null;
}

/** The rows whose whole height is inside the viewport: what "select all visible" takes. */
export function fullyVisible(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  total: number,
  headerHeight = 0,
): { start: number; end: number } {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const start = Math.ceil(scrollTop / rowHeight);
  const end = Math.min(total, Math.floor((scrollTop + viewport - headerHeight) / rowHeight));
  return { start: Math.min(start, total), end: Math.max(Math.min(start, total), end) };
}

/**
 * The physical scroll space for very long lists. WebKit repaints a scroller more slowly the
 * taller its content (measured: 235 ms per frame at 5 million pixels, 16 ms at 200,000), so
 * beyond this height the scrollbar maps onto the rows proportionally.
 */
export const MAX_SCROLL_HEIGHT = 1_000_000;

export interface Scale {
  /** Height of the scroll content in pixels (at most `MAX_SCROLL_HEIGHT`). */
  physical: number;
  /** Virtual pixels per physical pixel of scrolling (1 for lists that fit). */
  ratio: number;
}

export function scale(total: number, rowHeight: number, viewport: number, max = MAX_SCROLL_HEIGHT): Scale {
  const virtual = Math.max(0, total * rowHeight);
  const physical = Math.min(virtual, max);
  const ratio = physical > viewport && virtual > physical ? (virtual - viewport) / (physical - viewport) : 1;
  return { physical, ratio };
}

/** The virtual scroll position (in row pixels) for a physical one. */
export function toVirtual(scrollTop: number, s: Scale, viewport: number): number {
  return Math.max(0, Math.min(scrollTop, Math.max(0, s.physical - viewport))) * s.ratio;
}

/** The physical scroll position for a virtual one. */
export function toPhysical(virtualTop: number, s: Scale): number {
  return virtualTop / s.ratio;
}

/**
 * The rows to render for a physical scroll position of a possibly scaled list; `offset` is where
 * the first rendered row sits in the physical scroll content.
 */
export function scaledWindow(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  total: number,
  overscan = 8,
  max = MAX_SCROLL_HEIGHT,
): RowWindow & { virtualTop: number } {
  const s = scale(total, rowHeight, viewport, max);
  const virtualTop = toVirtual(scrollTop, s, viewport);
  const w = rowWindow(virtualTop, viewport, rowHeight, total, overscan);
  const physicalTop = Math.max(0, Math.min(scrollTop, Math.max(0, s.physical - viewport)));
  return { ...w, offset: physicalTop + (w.start * rowHeight - virtualTop), height: s.physical, virtualTop };
}
