import { describe, expect, it } from "vitest";
import { escapeStep, isPlain, isTextField } from "./keys";

describe("isPlain", () => {
  it("is a key alone, not with a modifier nor inside a composition", () => {
    expect(isPlain({ key: "j" })).toBe(true);
    expect(isPlain({ key: "j", ctrlKey: false, shiftKey: false })).toBe(true);
    for (const mod of ["ctrlKey", "altKey", "metaKey", "shiftKey", "isComposing"])
      expect(isPlain({ key: "j", [mod]: true }), mod).toBe(false);
  });
});

describe("isTextField", () => {
  it("is true where keys type text: text inputs of every kind, textareas, selects, editable elements", () => {
    for (const type of [undefined, "text", "search", "url", "password", "datetime-local", "number", "email"])
      expect(isTextField({ tagName: "INPUT", type }), String(type)).toBe(true);
    expect(isTextField({ tagName: "TEXTAREA" })).toBe(true);
    expect(isTextField({ tagName: "SELECT" })).toBe(true);
    expect(isTextField({ tagName: "DIV", isContentEditable: true })).toBe(true);
  });

  it("is false for buttons, checkboxes, switches, plain elements and nothing", () => {
    for (const type of ["checkbox", "radio", "button", "submit", "range"])
      expect(isTextField({ tagName: "INPUT", type }), type).toBe(false);
    expect(isTextField({ tagName: "BUTTON", type: "button" })).toBe(false);
    expect(isTextField({ tagName: "DIV", isContentEditable: false })).toBe(false);
    expect(isTextField({ tagName: "BODY" })).toBe(false);
    expect(isTextField(null)).toBe(false);
    expect(isTextField(undefined)).toBe(false);
  });
});

describe("escapeStep", () => {
  const none = { sheet: false, field: false, search: false, view: false };

  it("closes the sheet first, whatever else is open", () => {
    expect(escapeStep({ sheet: true, field: true, search: true, view: true })).toBe("close-sheet");
  });

  it("leaves a text field before closing anything behind it", () => {
    expect(escapeStep({ ...none, field: true, search: true })).toBe("leave-field");
    expect(escapeStep({ ...none, field: true, view: true })).toBe("leave-field");
  });

  it("then closes the search, then goes back from a view", () => {
    expect(escapeStep({ ...none, search: true })).toBe("close-search");
    expect(escapeStep({ ...none, view: true })).toBe("back");
  });

  it("does nothing when nothing is open", () => {
    expect(escapeStep(none)).toBeUndefined();
  });
});
