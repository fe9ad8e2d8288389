/**
 * A cursor over a long list and the window of rows on screen. Only the rows in
 * [top, top + height) are ever rendered, so 300,000 rows cost one screen.
 */
export interface ListWindow {
  readonly count: number;
  readonly cursor: number;
  readonly top: number;
  readonly height: number;
}

export const emptyWindow = (height: number): ListWindow => ({ count: 0, cursor: 0, top: 0, height: Math.max(1, height) });

/** Put the cursor on row `cursor` (clamped), scrolling as little as possible to keep it on screen. */
export function moveTo(w: ListWindow, cursor: number): ListWindow {
  const c = w.count === 0 ? 0 : Math.min(w.count - 1, Math.max(0, cursor));
  let top = w.top;
  if (c < top) top = c;
  if (c >= top + w.height) top = c - w.height + 1;
  top = Math.max(0, Math.min(top, Math.max(0, w.count - w.height)));
  return c === w.cursor && top === w.top ? w : { ...w, cursor: c, top };
}

export const moveBy = (w: ListWindow, delta: number): ListWindow => moveTo(w, w.cursor + delta);

export function resize(w: ListWindow, height: number): ListWindow {
  return moveTo({ ...w, height: Math.max(1, height) }, w.cursor);
}

/** A new row count (after a filter), keeping the cursor where it can. */
export function recount(w: ListWindow, count: number, cursor = w.cursor): ListWindow {
  return moveTo({ ...w, count, top: Math.min(w.top, Math.max(0, count - 1)) }, cursor);
}

/**
 * The window after a movement key (row, page, first, last; a page keeps one row of context), or null
 * when the action is not a movement. Every scrolling view moves through this one table.
 */
export function navigate(w: ListWindow, action: string): ListWindow | null {
  const page = Math.max(1, w.height - 1);
  switch (action) {
    case 'cursor.up': return moveBy(w, -1);
    case 'cursor.down': return moveBy(w, 1);
    case 'page.up': return moveBy(w, -page);
    case 'page.down': return moveBy(w, page);
    case 'cursor.first': return moveTo(w, 0);
    case 'cursor.last': return moveTo(w, w.count - 1);
    default: return null;
  }
}

/** Rows on screen: [from, to). */
export function visibleRange(w: ListWindow): [number, number] {
  return [w.top, Math.min(w.count, w.top + w.height)];
}
