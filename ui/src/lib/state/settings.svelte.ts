//! Mirror of the shell's Settings: loaded with `get_settings`, changed with `set_settings`, kept in step by events.
import type { Backend } from "../ipc";
import { toIpcError } from "../ipc";
import { isoTime, parseTime } from "../time";
import type { IpcError, Settings, ViewSettings } from "../types";

/** "Pause notifications 1 h". */
export const PAUSE_MS = 60 * 60 * 1000;

/** Every store, every kind, newest first: the list before any choice. */
export const DEFAULT_VIEW: ViewSettings = { account: null, kind: null, group: false };

/** The shell's Settings with the panel's fields filled in if a shell left them out (sent back whole, as today). */
export function withDefaults(settings: Settings): Settings {
  const view: Partial<ViewSettings> = settings.view ?? {};
  return {
    ...settings,
    badge_accounts: settings.badge_accounts ?? null,
    view: {
      account: view.account ?? null,
      kind: view.kind ?? null,
      group: view.group ?? false,
    },
  };
}

export class SettingsState {
  current = $state<Settings | null>(null);
  error = $state<IpcError | null>(null);
  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  async load(): Promise<void> {
    this.current = withDefaults(await this.#backend.getSettings());
  }

  /** The shell's word is final: the answer (or the `settings://changed` event) replaces what we had. */
  apply(settings: Settings): void {
    this.current = withDefaults(settings);
  }

  /** The list's scope as last saved (restored at start). */
  get view(): ViewSettings {
    return this.current?.view ?? DEFAULT_VIEW;
  }

  /** Remembers the list's scope for the next start. */
  saveView(view: ViewSettings): Promise<void> {
    const saved = this.view;
    if (saved.account === view.account && saved.kind === view.kind && saved.group === view.group) {
      return Promise.resolve();
    }
    return this.update({ view: { ...view } });
  }

  /** What the tray icon's number counts: every store (`null`) or these. */
  setBadgeAccounts(accounts: string[] | null): Promise<void> {
    return this.update({ badge_accounts: accounts === null ? null : [...accounts] });
  }

  async update(patch: Partial<Settings>): Promise<void> {
    if (!this.current) return;
    const next: Settings = { ...this.current, ...patch };
    try {
      this.error = null;
      this.current = withDefaults(await this.#backend.setSettings(next));
    } catch (error) {
      this.error = toIpcError(error);
      // Re-render from the unchanged truth so a flipped checkbox flips back.
      this.current = { ...this.current };
    }
  }

  pauseOneHour(now: number): Promise<void> {
    return this.update({ paused_until: isoTime(now + PAUSE_MS) });
  }

  resume(): Promise<void> {
    return this.update({ paused_until: null });
  }

  /** The end of the pause while it lasts, else null. */
  pausedUntil(now: number): string | null {
    const until = this.current?.paused_until ?? null;
    const at = parseTime(until);
    return at !== null && at > now ? until : null;
  }
}
