//! Keyboard use of a list of rows, the same in the notification list and in search hits: which row a key goes to,
//! and what a key does to the focused notification (as in Gitify, Gmail, Slack).
import { isPlain, type KeyPress } from "./keys";

/** Rows PageUp/PageDown skip: about a screenful of the panel. */
const PAGE = 6;

/** The row `key` moves to from row `index` of `count`, or `undefined` when the key is not a move. */
export function moveTarget(key: string, index: number, count: number): number | undefined {
  const moves: Record<string, number> = {
    ArrowDown: index + 1,
    j: index + 1,
    ArrowUp: index - 1,
    k: index - 1,
    PageDown: index + PAGE,
    PageUp: index - PAGE,
    Home: 0,
    End: count - 1,
  };
  const to = moves[key];
  return to === undefined ? undefined : Math.max(0, Math.min(count - 1, to));
}

/** What a key does to one notification: open it (as a click does), or mark it read (as its check does). */
export type RowAction = "open" | "markRead";

export type RowKey = { move: number } | { action: RowAction };

/**
 * What `press` does in row `index` of `count`: a move, an action on the row's notification, or nothing
 * (`undefined`: the key keeps its usual meaning). Enter and Space act only from the row's own button
 * (`onRowButton`): on the row's small buttons (snooze, mark read) they press that button. A key with Ctrl, Alt,
 * Meta or Shift is never taken (Shift+Space scrolls, Ctrl+Home is the browser's).
 */
export function rowKey(
  press: KeyPress,
  index: number,
  count: number,
  onRowButton: boolean,
): RowKey | undefined {
  if (!isPlain(press) || count === 0) return undefined;
  const to = moveTarget(press.key, index, count);
  if (to !== undefined) return { move: to };
  if (press.key === "e") return { action: "markRead" };
  if (!onRowButton) return undefined;
  if (press.key === "Enter") return { action: "open" };
  if (press.key === " ") return { action: "markRead" };
  return undefined;
}

/**
 * Where a key sent from outside the list (the search box, or nothing focused) lands: the row it would reach from
 * just before the first one (ArrowDown and `j` → the first row, End → the last), or `undefined`.
 */
export function entryTarget(press: KeyPress, count: number): number | undefined {
  if (!isPlain(press) || count === 0) return undefined;
  return moveTarget(press.key, -1, count);
}
