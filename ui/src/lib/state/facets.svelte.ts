//! The chips' counts (`get_facets`): unread and total per store, and per kind within the list's store. Recounted a
//! moment after unread counts change (a burst costs one call), and at once when the store changes.
import type { Backend } from "../ipc";
import { toIpcError } from "../ipc";
import type { Facets, IpcError } from "../types";

/** Unread changes this close together cost one `get_facets`. */
export const FACETS_DEBOUNCE_MS = 300;

export class FacetsState {
  /** Raw: replaced whole by each answer. */
  accounts = $state.raw<Facets["accounts"]>([]);
  kinds = $state.raw<Facets["kinds"]>([]);
  /** The store `kinds` are counted in (null: every store). */
  account = $state<string | null>(null);
  loaded = $state(false);
  /** The last failed count: the chips keep the counts they had. */
  error = $state<IpcError | null>(null);

  readonly #backend: Backend;
  #generation = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** Counts now, kinds within `account`; only the latest answer is kept. Never throws: the list works without. */
  async load(account: string | null = this.account): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.account = account;
    const generation = ++this.#generation;
    try {
      const facets = await this.#backend.getFacets(account);
      if (generation !== this.#generation) return;
      this.accounts = facets.accounts;
      this.kinds = facets.kinds;
      this.loaded = true;
      this.error = null;
    } catch (error) {
      if (generation === this.#generation) this.error = toIpcError(error);
    }
  }

  /** Something changed the counts: recounts once things settle (`FACETS_DEBOUNCE_MS` after the last change). */
  refresh(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.load(), FACETS_DEBOUNCE_MS);
  }

  /** A store's unread count, 0 when the shell did not count it. */
  unreadOf(account: string): number {
    return this.accounts.find((a) => a.account === account)?.unread ?? 0;
  }

  /** Whether the store has notifications of `kind` (as last counted). */
  hasKind(kind: string): boolean {
    return this.kinds.some((k) => k.kind === kind);
  }

  /** Stops a pending recount (the panel is going away). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
