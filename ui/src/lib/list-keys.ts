//! Keyboard moves in a list of rows: which row a key goes to, the same in the list and in search hits.

/** The row `key` moves to from row `index` of `count`, or `undefined` when the key is not a move. */
export function moveTarget(key: string, index: number, count: number): number | undefined {
  const moves: Record<string, number> = {
    ArrowDown: index + 1,
    ArrowUp: index - 1,
    PageDown: index + 6,
    PageUp: index - 6,
    Home: 0,
    End: count - 1,
  };
  const to = moves[key];
  return to === undefined ? undefined : Math.max(0, Math.min(count - 1, to));
}
