//! Search as you type: debounced `search_notifications` calls in the list's scope (tab, store, kind), only the
//! latest answer kept, read marks applied.
import type { Backend } from "../ipc";
import { toIpcError } from "../ipc";
import type { Filter, FocusItem, IpcError, ReadPayload, SearchHit } from "../types";

/** A pause in typing this long sends the query: one call per word typed, not one per key. */
export const SEARCH_DEBOUNCE_MS = 150;
/** Hits asked for: more than a screenful; refining the query is quicker than scrolling further. */
export const SEARCH_LIMIT = 100;

/** Whether a query has anything the engine searches for: a letter or a digit (everything else separates words). */
export function hasWords(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}

/** What the search narrows to: the list's tab, store and kind (`null` for all). */
export interface SearchScope {
  filter: Filter;
  account: string | null;
  kind: string | null;
}

export class SearchState {
  /** What is in the box. */
  query = $state("");
  /** Raw: replaced whole by each answer. */
  hits = $state.raw<SearchHit[]>([]);
  /** The query `hits` answer, `null` before the first answer (the box runs ahead while typing). */
  answered = $state<string | null>(null);
  /** A query is on its way or waiting for the pause in typing. */
  pending = $state(false);
  error = $state<IpcError | null>(null);

  readonly #backend: Backend;
  readonly #scope: () => SearchScope;
  #generation = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `scope`: the list the search narrows (the panel's tab, store and kind). */
  constructor(backend: Backend, scope: () => SearchScope) {
    this.#backend = backend;
    this.#scope = scope;
  }

  #filter(): Filter {
    return this.#scope().filter;
  }

  /** The panel shows hits instead of the list. */
  readonly active: boolean = $derived(hasWords(this.query));

  /** The box changed: searches after a pause in typing; a query without words clears the hits. */
  setQuery(text: string): void {
    this.query = text;
    clearTimeout(this.#timer);
    if (!hasWords(text)) {
      this.#generation++;
      this.hits = [];
      this.answered = null;
      this.pending = false;
      this.error = null;
      return;
    }
    this.pending = true;
    this.#timer = setTimeout(() => void this.run(), SEARCH_DEBOUNCE_MS);
  }

  clear(): void {
    this.setQuery("");
  }

  /** Searches now (a tab, store or kind change); an answer to an older query that comes later is dropped. */
  async run(): Promise<void> {
    clearTimeout(this.#timer);
    const text = this.query;
    if (!hasWords(text)) return;
    const generation = ++this.#generation;
    this.pending = true;
    try {
      const { filter, account, kind } = this.#scope();
      const hits = await this.#backend.searchNotifications(text, filter, account, kind, SEARCH_LIMIT);
      if (generation !== this.#generation) return;
      this.hits = hits;
      this.answered = text;
      this.error = null;
    } catch (error) {
      if (generation === this.#generation) this.error = toIpcError(error);
    } finally {
      if (generation === this.#generation) this.pending = false;
    }
  }

  /** New notifications may match: searched again after a pause (a burst costs one search). */
  refresh(): void {
    if (!this.active) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.run(), SEARCH_DEBOUNCE_MS);
  }

  /** `notifications://read`: hits dim in "all" and leave in "unread", as in the list. */
  applyRead({ account, ids, all }: ReadPayload): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway lookup, not state
    const wanted = new Set(ids);
    const hit = (h: SearchHit) =>
      !h.notification.read && h.notification.account === account && (all || wanted.has(h.notification.id));
    if (!this.hits.some(hit)) return;
    this.hits =
      this.#filter() === "unread"
        ? this.hits.filter((h) => !hit(h))
        : this.hits.map((h) => (hit(h) ? { ...h, notification: { ...h.notification, read: true } } : h));
  }

  /** `notifications://snoozed`: out of unread hits, as out of the unread list. */
  applySnoozed({ account, id }: FocusItem): void {
    if (this.#filter() !== "unread") return;
    const kept = this.hits.filter((h) => !(h.notification.account === account && h.notification.id === id));
    if (kept.length !== this.hits.length) this.hits = kept;
  }
}
