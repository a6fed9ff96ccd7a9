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
    if (this.filter === "unread") {
      const kept = this.items.filter((n) => !hit(n));
      if (kept.length !== this.items.length) this.items = kept;
    } else if (this.items.some((n) => !n.read && hit(n))) {
      this.items = this.items.map((n) => (!n.read && hit(n) ? { ...n, read: true } : n));
    }
  }

  /** `notifications://received`: a new (or updated) item goes where its time puts it. */
  receive(n: Notification): void {
    if (this.filter === "unread" && n.read) return;
    const key = itemKey(n);
    const index = this.items.findIndex((m) => itemKey(m) === key);
    if (index !== -1) {
      this.items = this.items.map((m, i) => (i === index ? n : m));
      return;
    }
    const last = this.items.at(-1);
    // Older than everything loaded while more pages remain: the next page brings it in order.
    if (last && !this.exhausted && newerFirst(n, last) > 0) return;
    const at = this.items.findIndex((m) => newerFirst(n, m) < 0);
    this.items = at === -1 ? [...this.items, n] : [...this.items.slice(0, at), n, ...this.items.slice(at)];
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
    for (let pages = 0; ; pages++) {
      const index = this.items.findIndex((n) => itemKey(n) === key);
      if (index !== -1 || this.exhausted || this.loadError || pages >= FOCUS_MAX_PAGES) return index;
      await this.loadMore();
    }
  }
}
