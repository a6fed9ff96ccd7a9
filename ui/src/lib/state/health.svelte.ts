//! Mirror of the shell's connection health (`get_health`), polled while the health view is open, and the view's
//! actions: reconnect now, test pop-up, copy the diagnostics (`get_diagnostics`) to the clipboard.
import { untrack } from "svelte";
import type { Backend } from "../ipc";
import { toIpcError } from "../ipc";
import type { Health, IpcError } from "../types";

/** The view asks again this long after each answer: one call in flight at most, none while hidden. */
export const HEALTH_POLL_MS = 1000;
/** How long "Copiado" shows after a copy. */
export const COPIED_MS = 2000;

/** The per-account actions of a card. */
export type HealthAction = "reconnect" | "test_toast";

/** Writes text to the clipboard; rejects when the webview refuses (no permission, no user gesture left). */
export type CopyText = (text: string) => Promise<void>;

const clipboardCopy: CopyText = async (text) => {
  await navigator.clipboard.writeText(text);
};

const key = (action: HealthAction, account: string) => `${action}\n${account}`;

export class HealthState {
  /** Raw: replaced whole by each answer. */
  list = $state.raw<Health[]>([]);
  /** At least one answer arrived since the view opened. */
  loaded = $state(false);
  /** The last poll failed (kept until one succeeds). */
  error = $state<IpcError | null>(null);
  /** Per-account actions on their way, by `action\naccount`. */
  busy = $state<Record<string, boolean>>({});
  /** The last failure of a card's action, by account. */
  actionErrors = $state<Record<string, IpcError>>({});
  copying = $state(false);
  /** "Copiado" shows while true. */
  copied = $state(false);
  copyError = $state<IpcError | null>(null);
  /** The diagnostics text when the clipboard refused it: the view shows it to select and copy by hand. */
  diagnostics = $state<string | null>(null);

  readonly #backend: Backend;
  readonly #copy: CopyText;
  #generation = 0;
  /** The view is open (between `start` and its stop). */
  #open = false;
  #copiedTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(backend: Backend, copy: CopyText = clipboardCopy) {
    this.#backend = backend;
    this.#copy = copy;
  }

  isBusy(action: HealthAction, account: string): boolean {
    return this.busy[key(action, account)] === true;
  }

  /** Asks once; an answer that arrives after the view closed (or after a newer one) is dropped. */
  async refresh(): Promise<void> {
    const generation = ++this.#generation;
    try {
      const list = await this.#backend.getHealth(null);
      if (generation !== this.#generation) return;
      this.list = list;
      this.loaded = true;
      this.error = null;
    } catch (error) {
      if (generation === this.#generation) this.error = toIpcError(error);
    }
  }

  /**
   * Polls every HEALTH_POLL_MS while the view is open; returns the stop function, for an `$effect` cleanup.
   * The next call is timed from the previous answer, so a slow shell is never asked twice at once; a hidden
   * page is not polled.
   */
  start(): () => void {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hidden = () => typeof document !== "undefined" && document.visibilityState === "hidden";
    const tick = async (): Promise<void> => {
      if (!hidden()) await this.refresh();
      if (!stopped) timer = setTimeout(() => void tick(), HEALTH_POLL_MS);
    };
    this.#open = true;
    // Untracked: an effect that re-ran on what the first call reads would start a second poll.
    untrack(() => void tick());
    return () => {
      stopped = true;
      this.#open = false;
      clearTimeout(timer);
      // An answer on its way belongs to the closed view.
      this.#generation++;
      this.list = [];
      this.loaded = false;
      this.error = null;
      this.actionErrors = {};
      this.#clearCopy();
    };
  }

  async #act(action: HealthAction, account: string, run: () => Promise<void>): Promise<void> {
    const id = key(action, account);
    if (this.busy[id]) return;
    this.busy[id] = true;
    delete this.actionErrors[account];
    try {
      await run();
    } catch (error) {
      this.actionErrors[account] = toIpcError(error);
    } finally {
      delete this.busy[id];
    }
  }

  /** "Reconectar ahora": the account reconnects and catches up; the card shows it at once. */
  reconnect(account: string): Promise<void> {
    return this.#act("reconnect", account, async () => {
      await this.#backend.reconnect(account);
      if (this.#open) await this.refresh();
    });
  }

  /** "Probar aviso": a test pop-up through the same path as real ones. */
  testToast(account: string): Promise<void> {
    return this.#act("test_toast", account, () => this.#backend.testToast(account));
  }

  /** "Copiar diagnóstico": to the clipboard, or into `diagnostics` for the view to show when it refuses. */
  async copyDiagnostics(): Promise<void> {
    if (this.copying) return;
    this.#clearCopy();
    this.copying = true;
    try {
      const text = await this.#backend.getDiagnostics();
      try {
        await this.#copy(text);
        this.copied = true;
        this.#copiedTimer = setTimeout(() => (this.copied = false), COPIED_MS);
      } catch {
        this.diagnostics = text;
      }
    } catch (error) {
      this.copyError = toIpcError(error);
    } finally {
      this.copying = false;
    }
  }

  #clearCopy(): void {
    clearTimeout(this.#copiedTimer);
    this.copied = false;
    this.copyError = null;
    this.diagnostics = null;
  }
}
