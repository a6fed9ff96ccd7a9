//! The notification list: keyset pages from `list_notifications`, live inserts, read marks, focus requests.
import type { Backend } from "../ipc";
import { toIpcError } from "../ipc";
import type { Filter, FocusItem, IpcError, Notification, ReadPayload } from "../types";

/** Rows per `list_notifications` call: a few screens' worth, so scrolling rarely waits. */
export const PAGE_SIZE = 200;
/** How many pages a focus request may pull in looking for its item (50 × 200 = 10,000 items). */
export const FOCUS_MAX_PAGES = 50;
/** How long a focused item stays highlighted. */
export const HIGHLIGHT_MS = 5000;
/**
 * Live notifications are merged into the list at most this often: a burst arrives as thousands of events, and one
 * merge per event (a scan and a copy of the whole list each) took the panel's main thread for ~40 s on 10,000.
 */
export const RECEIVE_BATCH_MS = 16;

export function itemKey(n: { account: string; id: string }): string {
  // Length-prefixed, so no account name can make two different pairs collide.
  return `${n.account.length}:${n.account}:${n.id}`;
}

/** Newest first; the same order as the shell's pages, `id` breaking ties the same way (descending). */
export function newerFirst(a: Notification, b: Notification): number {
  const byTime = Date.parse(b.created_at) - Date.parse(a.created_at);
  if (byTime) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export class FeedState {
  filter = $state<Filter>("unread");
  /** Raw: 10,000 rows are replaced, never deeply proxied. */
  items = $state.raw<Notification[]>([]);
  loading = $state(false);
  exhausted = $state(false);
  /** The last failed page load, shown with a retry button. */
  loadError = $state<IpcError | null>(null);
  /** The last failed action (mark read, open), shown as a dismissible line. */
  actionError = $state<IpcError | null>(null);
  highlighted = $state<string | null>(null);
  /** Bumped on each focus request; the list view scrolls to `index` when it changes. */
  focusRequest = $state<{ index: number; seq: number } | null>(null);

  readonly #backend: Backend;
  #generation = 0;
  #inFlight: Promise<void> | null = null;
  #highlightTimer: ReturnType<typeof setTimeout> | undefined;
  /** Received, not merged yet (see `queue`). */
  #pending: Notification[] = [];
  #pendingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  readonly empty: boolean = $derived(this.items.length === 0 && this.exhausted && !this.loadError);

  /** Loads the next page (items strictly older than the last one shown); a no-op while one is on its way. */
  loadMore(): Promise<void> {
    if (this.exhausted) return Promise.resolve();
    if (!this.#inFlight) {
      const page: Promise<void> = this.#fetchPage().finally(() => {
        if (this.#inFlight === page) this.#inFlight = null;
      });
      this.#inFlight = page;
    }
    return this.#inFlight;
  }

  async #fetchPage(): Promise<void> {
    const generation = this.#generation;
    const last = this.items.at(-1);
    this.loading = true;
    try {
      const page = await this.#backend.listNotifications(
        this.filter,
        last ? { created_at: last.created_at, id: last.id } : null,
        PAGE_SIZE,
      );
      if (generation !== this.#generation) return;
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway lookup, not state
      const seen = new Set(this.items.map(itemKey));
      this.items = [...this.items, ...page.filter((n) => !seen.has(itemKey(n)))];
      this.exhausted = page.length < PAGE_SIZE;
      this.loadError = null;
    } catch (error) {
      if (generation === this.#generation) this.loadError = toIpcError(error);
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  /** Starts over from the newest item (a new filter, a login, a logout). */
  reload(): Promise<void> {
    this.flushReceived();
    this.#generation++;
    this.#inFlight = null;
    this.items = [];
    this.exhausted = false;
    this.loadError = null;
    this.loading = false;
    return this.loadMore();
  }

  setFilter(filter: Filter): Promise<void> {
    if (filter === this.filter) return Promise.resolve();
    this.filter = filter;
    return this.reload();
  }

  async #act(action: () => Promise<void>): Promise<boolean> {
    try {
      this.actionError = null;
      await action();
      return true;
    } catch (error) {
      this.actionError = toIpcError(error);
      return false;
    }
  }

  async markRead(n: Notification): Promise<void> {
    if (await this.#act(() => this.#backend.markRead(n.account, [n.id]))) {
      this.applyRead({ account: n.account, ids: [n.id], all: false });
    }
  }

  async markAllRead(): Promise<void> {
    if (await this.#act(() => this.#backend.markAllRead(null))) {
      this.#setRead(() => true);
    }
  }

  /**
   * Snoozes an item until `when` (the engine's words: `1h`, `mañana 9:00`, `2026-12-08 09:00`): it leaves the
   * unread list until `notifications://released` brings it back.
   */
  async snooze(n: Notification, when: string): Promise<boolean> {
    if (await this.#act(() => this.#backend.snooze(n.account, n.id, when).then(() => undefined))) {
      this.applySnoozed(n);
      return true;
    }
    return false;
  }

  /** `notifications://snoozed` (from here, a toast or `aviso-cli snooze`): out of the unread list until it is due. */
  applySnoozed({ account, id }: FocusItem): void {
    this.flushReceived();
    if (this.filter !== "unread") return;
    const kept = this.items.filter((n) => !(n.account === account && n.id === id));
    if (kept.length !== this.items.length) this.items = kept;
  }

  /** Same as a toast click: the shell marks it read and opens its URL when that is safe. */
  async open(n: Notification): Promise<void> {
    if (await this.#act(() => this.#backend.openNotification(n.account, n.id))) {
      this.applyRead({ account: n.account, ids: [n.id], all: false });
    }
  }

  /** `notifications://read`, or the answer to our own mark: in "unread" the items leave, in "all" they dim. */
  applyRead({ account, ids, all }: ReadPayload): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway lookup, not state
    const wanted = new Set(ids);
    this.#setRead((n) => n.account === account && (all || wanted.has(n.id)));
  }

  #setRead(hit: (n: Notification) => boolean): void {
    this.flushReceived();
    if (this.filter === "unread") {
      const kept = this.items.filter((n) => !hit(n));
      if (kept.length !== this.items.length) this.items = kept;
    } else if (this.items.some((n) => !n.read && hit(n))) {
      this.items = this.items.map((n) => (!n.read && hit(n) ? { ...n, read: true } : n));
    }
  }

  /**
   * `notifications://received`, as the panel gets it: kept until the next merge (within `RECEIVE_BATCH_MS`), so a
   * burst costs one merge per frame instead of one per item. Anything else that changes the list merges first.
   */
  queue(n: Notification): void {
    this.#pending.push(n);
    this.#pendingTimer ??= setTimeout(() => this.flushReceived(), RECEIVE_BATCH_MS);
  }

  /** Merges what `queue` kept, now. */
  flushReceived(): void {
    clearTimeout(this.#pendingTimer);
    this.#pendingTimer = undefined;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    this.#merge(batch);
  }

  /** A new (or updated) item goes where its time puts it, now. */
  receive(n: Notification): void {
    this.flushReceived();
    this.#merge([n]);
  }

  /**
   * Merges received items in one pass: an item already listed is replaced where it is; new ones go where their
   * time puts them (the last version of an item wins); read ones are ignored in "unread". The same list as
   * receiving them one by one, in O(list + batch log batch).
   */
  #merge(batch: Notification[]): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway lookup, not state
    const index = new Map<string, number>();
    this.items.forEach((m, i) => index.set(itemKey(m), i));
    let items = this.items;
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway lookup, not state
    const fresh = new Map<string, Notification>();
    for (const n of batch) {
      if (this.filter === "unread" && n.read) continue;
      const key = itemKey(n);
      const at = index.get(key);
      if (at !== undefined) {
        if (items === this.items) items = items.slice();
        items[at] = n;
      } else {
        fresh.set(key, n);
      }
    }
    const last = items.at(-1);
    const incoming = [...fresh.values()]
      // Older than everything loaded while more pages remain: the next page brings it in order.
      .filter((n) => !(last && !this.exhausted && newerFirst(n, last) > 0))
      .sort(newerFirst);
    if (incoming.length > 0) {
      const merged: Notification[] = [];
      let i = 0;
      for (const m of items) {
        while (i < incoming.length && newerFirst(incoming[i]!, m) < 0) merged.push(incoming[i++]!);
        merged.push(m);
      }
      while (i < incoming.length) merged.push(incoming[i++]!);
      items = merged;
    }
    if (items !== this.items) this.items = items;
  }

  /**
   * `panel://focus-item`: finds the item (pulling in pages, and falling back to "all" since a clicked toast is
   * usually read by then), highlights it, and asks the list to scroll to it.
   */
  async focus(target: FocusItem): Promise<boolean> {
    const key = itemKey(target);
    let index = await this.#find(key);
    if (index === -1 && this.filter === "unread") {
      this.filter = "all";
      await this.reload();
      index = await this.#find(key);
    }
    if (index === -1) return false;
    clearTimeout(this.#highlightTimer);
    this.highlighted = key;
    this.#highlightTimer = setTimeout(() => (this.highlighted = null), HIGHLIGHT_MS);
    this.focusRequest = { index, seq: (this.focusRequest?.seq ?? 0) + 1 };
    return true;
  }

  async #find(key: string): Promise<number> {
    this.flushReceived();
    for (let pages = 0; ; pages++) {
      const index = this.items.findIndex((n) => itemKey(n) === key);
      if (index !== -1 || this.exhausted || this.loadError || pages >= FOCUS_MAX_PAGES) return index;
      await this.loadMore();
    }
  }
}
