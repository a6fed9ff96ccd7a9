//! Mirror of the shell's Settings: loaded with `get_settings`, changed with `set_settings`, kept in step by events.
import type { Backend } from "../ipc";
import { toIpcError } from "../ipc";
import { isoTime, parseTime } from "../time";
import type { IpcError, Settings } from "../types";

/** "Pause notifications 1 h". */
export const PAUSE_MS = 60 * 60 * 1000;

export class SettingsState {
  current = $state<Settings | null>(null);
  error = $state<IpcError | null>(null);
  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  async load(): Promise<void> {
    this.current = await this.#backend.getSettings();
  }

  /** The shell's word is final: the answer (or the `settings://changed` event) replaces what we had. */
  apply(settings: Settings): void {
    this.current = settings;
  }

  async update(patch: Partial<Settings>): Promise<void> {
    if (!this.current) return;
    const next: Settings = { ...this.current, ...patch };
    try {
      this.error = null;
      this.current = await this.#backend.setSettings(next);
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
