import { describe, expect, it } from "vitest";
import { entryTarget, moveTarget, rowKey } from "./list-keys";

const press = (key: string, mods: Record<string, boolean> = {}) => ({ key, ...mods });

describe("moveTarget", () => {
  it("moves one row with the arrows and with j / k", () => {
    expect(moveTarget("ArrowDown", 3, 10)).toBe(4);
    expect(moveTarget("j", 3, 10)).toBe(4);
    expect(moveTarget("ArrowUp", 3, 10)).toBe(2);
    expect(moveTarget("k", 3, 10)).toBe(2);
  });

  it("moves a screenful with PageUp / PageDown, to the ends with Home / End, and stays inside the list", () => {
    expect(moveTarget("PageDown", 3, 20)).toBe(9);
    expect(moveTarget("PageUp", 9, 20)).toBe(3);
    expect(moveTarget("PageUp", 3, 20)).toBe(0);
    expect(moveTarget("PageDown", 17, 20)).toBe(19);
    expect(moveTarget("Home", 7, 20)).toBe(0);
    expect(moveTarget("End", 7, 20)).toBe(19);
    expect(moveTarget("j", 19, 20)).toBe(19);
    expect(moveTarget("k", 0, 20)).toBe(0);
  });

  it("is not a move for other keys, capitals included", () => {
    for (const key of ["e", " ", "Enter", "J", "K", "ArrowLeft", "Tab", "/"])
      expect(moveTarget(key, 3, 10)).toBeUndefined();
  });
});

describe("rowKey", () => {
  it("moves between rows from anywhere in the row", () => {
    expect(rowKey(press("j"), 0, 5, true)).toEqual({ move: 1 });
    expect(rowKey(press("k"), 2, 5, false)).toEqual({ move: 1 });
    expect(rowKey(press("ArrowDown"), 4, 5, true)).toEqual({ move: 4 });
    expect(rowKey(press("End"), 0, 5, true)).toEqual({ move: 4 });
  });

  it("opens with Enter and marks read with e or Space from the row's own button", () => {
    expect(rowKey(press("Enter"), 2, 5, true)).toEqual({ action: "open" });
    expect(rowKey(press("e"), 2, 5, true)).toEqual({ action: "markRead" });
    expect(rowKey(press(" "), 2, 5, true)).toEqual({ action: "markRead" });
  });

  it("leaves Enter and Space to the row's small buttons (snooze, mark read); e still marks read", () => {
    expect(rowKey(press("Enter"), 2, 5, false)).toBeUndefined();
    expect(rowKey(press(" "), 2, 5, false)).toBeUndefined();
    expect(rowKey(press("e"), 2, 5, false)).toEqual({ action: "markRead" });
  });

  it("takes no key with a modifier, during a composition, or other keys", () => {
    for (const mod of ["ctrlKey", "altKey", "metaKey", "shiftKey", "isComposing"]) {
      for (const key of ["j", "k", "e", " ", "Enter", "ArrowDown", "End"])
        expect(rowKey(press(key, { [mod]: true }), 2, 5, true), `${mod}+${key}`).toBeUndefined();
    }
    for (const key of ["E", "J", "x", "Escape", "Tab", "/", "ArrowRight"])
      expect(rowKey(press(key), 2, 5, true), key).toBeUndefined();
  });

  it("does nothing in an empty list", () => {
    expect(rowKey(press("j"), 0, 0, true)).toBeUndefined();
    expect(rowKey(press("e"), 0, 0, true)).toBeUndefined();
  });
});

describe("entryTarget", () => {
  it("enters the list from outside: down or j to the first row, up or k to the first too, End to the last", () => {
    expect(entryTarget(press("ArrowDown"), 8)).toBe(0);
    expect(entryTarget(press("j"), 8)).toBe(0);
    expect(entryTarget(press("ArrowUp"), 8)).toBe(0);
    expect(entryTarget(press("k"), 8)).toBe(0);
    expect(entryTarget(press("Home"), 8)).toBe(0);
    expect(entryTarget(press("End"), 8)).toBe(7);
  });

  it("does not enter an empty list, with a modifier, or with other keys", () => {
    expect(entryTarget(press("j"), 0)).toBeUndefined();
    expect(entryTarget(press("ArrowDown", { shiftKey: true }), 8)).toBeUndefined();
    expect(entryTarget(press("e"), 8)).toBeUndefined();
    expect(entryTarget(press("Enter"), 8)).toBeUndefined();
  });
});
