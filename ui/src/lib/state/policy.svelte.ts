//! Mirror of `[policy]` (rules, quiet hours, silence alarms): loaded with `get_policy`, edited as a draft, saved
//! with `set_policy`. The engine checks it; its problems are kept for the view, which shows them in the UI's language.
import type { Backend } from "../ipc";
import { toIpcError } from "../ipc";
import type { IpcError, PolicyConfig, PolicyItem, PolicyProblem } from "../types";

/** The three lists the panel edits. */
export type Section = "rules" | "quiet_hours" | "silence";

/** A rule's actions (docs/policy.md). */
export const ACTIONS = ["mute", "quiet", "urgent", "no_badge", "normal"] as const;
export type RuleAction = (typeof ACTIONS)[number];

/** Keys written as lists: typed as "lun, mar" or "laborables", saved as ["lun", "mar"]. */
const LIST_KEYS = new Set(["days"]);

/** What a new item starts as: the keys the engine requires, with values that work. */
function blank(section: Section): PolicyItem {
  switch (section) {
    case "rules":
      return { kind: "*", action: ["quiet"] };
    case "quiet_hours":
      return { from: "22:00", to: "07:00" };
    case "silence":
      return { kind: "*", after: "2h" };
  }
}

/** An item's value as the form shows it: a list joined with ", ". */
export function fieldText(item: PolicyItem, key: string): string {
  const value = item[key];
  if (Array.isArray(value)) return value.map(String).join(", ");
  return value === undefined || value === null ? "" : String(value);
}

/** A rule's actions, whether config.toml has one (`"urgent"`) or a list. */
export function actionsOf(item: PolicyItem): string[] {
  const value = item.action;
  if (Array.isArray(value)) return value.map(String);
  return typeof value === "string" && value !== "" ? [value] : [];
}

export class PolicyState {
  /** What config.toml holds (the shell's word). */
  current = $state<PolicyConfig | null>(null);
  /** What the form shows: `current` plus unsaved edits. */
  draft = $state<PolicyConfig | null>(null);
  /** The engine's problems with the last draft saved; empty when it was saved. */
  problems = $state<PolicyProblem[]>([]);
  /** A failure that is not a problem of the policy (the file could not be written, …). */
  error = $state<IpcError | null>(null);
  saving = $state(false);
  /** Shown after a save until the next edit. */
  saved = $state(false);
  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  readonly dirty: boolean = $derived(JSON.stringify(this.draft) !== JSON.stringify(this.current));

  async load(): Promise<void> {
    const policy = await this.#backend.getPolicy();
    this.current = policy;
    this.draft = structuredClone(policy);
  }

  #edited(): void {
    this.saved = false;
  }

  add(section: Section): void {
    if (!this.draft) return;
    this.draft[section] = [...this.draft[section], blank(section)];
    this.#edited();
  }

  remove(section: Section, index: number): void {
    if (!this.draft) return;
    this.draft[section] = this.draft[section].filter((_, i) => i !== index);
    this.#edited();
  }

  /** Sets a key from what was typed; an empty field removes the key (the engine's default applies). */
  set(section: Section, index: number, key: string, text: string): void {
    const item = this.draft?.[section][index];
    if (!item) return;
    const value = text.trim();
    if (value === "") delete item[key];
    else if (LIST_KEYS.has(key)) item[key] = value.split(/[\s,]+/).filter((d) => d !== "");
    else item[key] = value;
    this.#edited();
  }

  /** Turns one of a rule's actions on or off. */
  toggleAction(index: number, action: RuleAction, on: boolean): void {
    const item = this.draft?.rules[index];
    if (!item) return;
    const actions = actionsOf(item).filter((a) => a !== action);
    if (on) actions.push(action);
    if (actions.length === 0) delete item.action;
    else item.action = actions;
    this.#edited();
  }

  setTimeZone(text: string): void {
    if (!this.draft) return;
    this.draft.time_zone = text.trim();
    this.#edited();
  }

  discard(): void {
    this.draft = structuredClone($state.snapshot(this.current));
    this.problems = [];
    this.error = null;
    this.saved = false;
  }

  /** Saves the draft; the engine's problems (code `bad_policy`) stay on the form instead. */
  async save(): Promise<boolean> {
    if (!this.draft) return false;
    this.saving = true;
    this.error = null;
    try {
      const saved = await this.#backend.setPolicy($state.snapshot(this.draft) as PolicyConfig);
      this.current = saved;
      this.draft = structuredClone(saved);
      this.problems = [];
      this.saved = true;
      return true;
    } catch (e) {
      const error = toIpcError(e);
      this.problems = error.problems ?? [];
      this.error = error.code === "bad_policy" ? null : error;
      return false;
    } finally {
      this.saving = false;
    }
  }
}
