//! Panel-wide keys: which keys are ours to take (never while typing), and what Esc closes.

/** What the bindings read of a KeyboardEvent (a plain object in unit tests). */
export interface KeyPress {
  key: string;
  ctrlKey?: boolean;
  altKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
  /** Part of an IME composition (typing Japanese, or an accent with a dead key): never a shortcut. */
  isComposing?: boolean;
}

/** A key pressed alone: no Ctrl, Alt, Meta or Shift, and not inside a composition. */
export function isPlain(press: KeyPress): boolean {
  return !(press.ctrlKey || press.altKey || press.metaKey || press.shiftKey || press.isComposing);
}

/** Input types that take no typed text: keys on them may be shortcuts. */
const NOT_TEXT = new Set([
  "button",
  "checkbox",
  "color",
  "file",
  "image",
  "radio",
  "range",
  "reset",
  "submit",
]);

/** The part of an element the text-field test reads (an Element in the panel, a plain object in unit tests). */
export interface FieldLike {
  tagName: string;
  type?: string;
  isContentEditable?: boolean;
}

/**
 * Whether keys typed with `element` focused are text: a text input of any kind, a textarea, a select (its letters
 * pick an option) or an editable element. Letter shortcuts and Esc's navigation leave those alone.
 */
export function isTextField(element: FieldLike | null | undefined): boolean {
  if (!element) return false;
  const tag = element.tagName.toLowerCase();
  if (tag === "textarea" || tag === "select") return true;
  if (tag === "input") return !NOT_TEXT.has((element.type ?? "text").toLowerCase());
  return element.isContentEditable === true;
}

/** What Esc does, given what is open: one step back each press, never more. */
export type EscapeStep = "close-sheet" | "leave-field" | "close-search" | "back";

export interface EscapeContext {
  /** A sheet (the snooze choices) is open over the panel. */
  sheet: boolean;
  /** The focus is in a text field (the search box handles its own Esc first). */
  field: boolean;
  /** The panel shows search hits (a query is in the box). */
  search: boolean;
  /** The screen is a view over the list with a way back (settings, health, a login that can be put off). */
  view: boolean;
}

/**
 * Esc, most specific first: the sheet closes; then a field is left (its typing is not thrown away with the
 * view); then the search closes; then a view goes back to the list. Otherwise Esc does nothing.
 */
export function escapeStep({ sheet, field, search, view }: EscapeContext): EscapeStep | undefined {
  if (sheet) return "close-sheet";
  if (field) return "leave-field";
  if (search) return "close-search";
  if (view) return "back";
  return undefined;
}

/**
 * Esc on a view over the list (settings, health, a login that can be put off): leaves a text field first, else
 * goes `back` (`null`: the view has no way back, Esc does nothing). For `<svelte:window onkeydown>`.
 */
export function escapeView(event: KeyboardEvent, back: (() => void) | null): void {
  if (event.key !== "Escape" || event.defaultPrevented || !isPlain(event)) return;
  const active = document.activeElement as HTMLElement | null;
  const step = escapeStep({ sheet: false, field: isTextField(active), search: false, view: back !== null });
  if (!step) return;
  event.preventDefault();
  if (step === "leave-field") active?.blur();
  else back?.();
}
