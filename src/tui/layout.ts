/** How the screen is divided, shared by the reducers (window heights, ladder width) and the views. */

/** Rows around a view's body: title, column headings, status bar, key hints. */
export const CHROME_ROWS = 4;
/** Terminals at least this wide show a flow's figures beside the ladder; narrower ones above it. */
export const SIDE_PANEL_MIN_WIDTH = 130;
export const SIDE_PANEL_WIDTH = 34;
/** Rows the figures take above the ladder on narrower terminals. */
export const FIGURE_ROWS = 3;
/** Columns left of each ladder line for the state-change mark. */
export const GUTTER = 2;

export type BodyKind = 'list' | 'detail' | 'findings' | 'finding-list' | 'leaks';

/** Rows of a view's scrolling body. */
export function bodyRows(height: number, width: number, kind: BodyKind): number {
  const figures = kind === 'detail' && width < SIDE_PANEL_MIN_WIDTH ? FIGURE_ROWS : 0;
  return Math.max(1, height - CHROME_ROWS - figures);
}

/** Columns of the ladder box (side panel excluded), and the width the ladder is drawn for. */
export const ladderBoxWidth = (width: number) => (width >= SIDE_PANEL_MIN_WIDTH ? width - SIDE_PANEL_WIDTH - 1 : width);
export const ladderWidth = (width: number) => ladderBoxWidth(width) - GUTTER;
