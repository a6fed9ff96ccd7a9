//! The notification list: keyset pages from `list_notifications` in its scope (a store, a kind, grouped by store),
//! live inserts, read marks, focus requests.
import type { Backend } from "../ipc";
import { toIpcError } from "../ipc";
import type { Filter, FocusItem, IpcError, ListScope, Notification, ReadPayload } from "../types";

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

/** Grouped by store: account names ascending (plain string order, as the shell's), then newest first. */
export function storeThenNewer(a: Notification, b: Notification): number {
  if (a.account !== b.account) return a.account < b.account ? -1 : 1;
  return newerFirst(a, b);
}

/** The order of the shell's pages for a scope. */
export function listOrder(group: boolean): (a: Notification, b: Notification) => number {
  return group ? storeThenNewer : newerFirst;
}

/** No store, no kind, not grouped: the whole list, newest first. */
export const WHOLE: ListScope = { account: null, kind: null, group: false };

export function inScope(n: Notification, { account, kind }: ListScope): boolean {
  return (account === null || n.account === account) && (kind === null || n.kind === kind);
}

/** A row of the list as shown: a store's header (grouped lists) or a notification, `item` its index in `items`. */
export type FeedRow =
  { type: "header"; account: string } | { type: "item"; notification: Notification; item: number };

/** The rows of `items`: with `group`, a header before each store's first item (items of a store come together). */
export function feedRows(items: Notification[], group: boolean): FeedRow[] {
  const rows: FeedRow[] = [];
  let store: string | null = null;
  items.forEach((notification, item) => {
    if (group && notification.account !== store) {
      store = notification.account;
      rows.push({ type: "header", account: store });
    }
    rows.push({ type: "item", notification, item });
  });
  return rows;
}

export class FeedState {
  filter = $state<Filter>("unread");
  /** The scope of the list (`list_notifications`' account, kind, group); `setScope` changes it. */
  scope = $state.raw<ListScope>(WHOLE);
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
  /** Received before this list's first page came: merged into it once it is there (its order is the page's). */
  #early: Notification[] | null = [];
  #pendingTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #onMarked: () => void;

  /** `onMarked`: after a mark (read, all read, open, snooze) the shell took, e.g. to recount the facets. */
  constructor(backend: Backend, options: { onMarked?: () => void } = {}) {
    this.#backend = backend;
    this.#onMarked = options.onMarked ?? (() => {});
  }

  readonly empty: boolean = $derived(this.items.length === 0 && this.exhausted && !this.loadError);
  /** Narrowed to a store or a kind. */
  readonly narrowed: boolean = $derived(this.scope.account !== null || this.scope.kind !== null);

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
        last ? { created_at: last.created_at, id: last.id, account: last.account } : null,
        PAGE_SIZE,
        { ...this.scope },
      );
      if (generation !== this.#generation) return;
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway lookup, not state
      const seen = new Set(this.items.map(itemKey));
      this.items = [...this.items, ...page.filter((n) => !seen.has(itemKey(n)))];
      this.exhausted = page.length < PAGE_SIZE;
      this.loadError = null;
      const early = this.#early;
      this.#early = null;
      if (early && early.length > 0) this.#merge(early);
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
    this.#early = [];
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

  /** Narrows (or widens) the list to a store, a kind, grouped or not: starts over when anything changed. */
  setScope(patch: Partial<ListScope>): Promise<void> {
    const next = { ...this.scope, ...patch };
    const { account, kind, group } = this.scope;
    if (next.account === account && next.kind === kind && next.group === group) return Promise.resolve();
    this.scope = next;
    return this.reload();
  }

  async #act(action: () => Promise<void>): Promise<boolean> {
    try {
      this.actionError = null;
      await action();
      this.#onMarked();
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

  /** Marks all read in the store the list shows (every store when it shows them all), as the button says. */
  async markAllRead(): Promise<void> {
    const account = this.scope.account;
    if (await this.#act(() => this.#backend.markAllRead(account))) {
      this.#setRead((n) => account === null || n.account === account);
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
    const other = (n: Notification) => !(n.account === account && n.id === id);
    if (this.#early) this.#early = this.#early.filter(other);
    const kept = this.items.filter(other);
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
    if (this.#early) this.#early = this.#early.map((n) => (!n.read && hit(n) ? { ...n, read: true } : n));
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
   * Merges received items in one pass: an item already listed is replaced where it is; new ones go where the list's
   * order puts them (the last version of an item wins); read ones are ignored in "unread", and ones of another
   * store or kind while the list is narrowed. The same list as receiving them one by one, in O(list + batch log
   * batch).
   */
  #merge(batch: Notification[]): void {
    if (this.#early) {
      // No page yet: where an item goes (and whether it is this list's) is known once the first page is.
      this.#early.push(...batch);
      return;
    }
    const scope = this.scope;
    const order = listOrder(scope.group);
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway lookup, not state
    const index = new Map<string, number>();
    this.items.forEach((m, i) => index.set(itemKey(m), i));
    let items = this.items;
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway lookup, not state
    const fresh = new Map<string, Notification>();
    for (const n of batch) {
      if (this.filter === "unread" && n.read) continue;
      if (!inScope(n, scope)) continue;
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
      // After everything loaded while more pages remain: the next page brings it in order.
      .filter((n) => !(last && !this.exhausted && order(n, last) > 0))
      .sort(order);
    if (incoming.length > 0) {
      const merged: Notification[] = [];
      let i = 0;
      for (const m of items) {
        while (i < incoming.length && order(incoming[i]!, m) < 0) merged.push(incoming[i++]!);
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
