//! The panel's root state: builds every mirror over one Backend, loads them, and wires the shell's events in.
import { untrack } from "svelte";
import {
  CONNECTION_STATE_CHANGED,
  NOTIFICATION_RECEIVED,
  NOTIFICATIONS_RECEIVED_BATCH,
  NOTIFICATIONS_READ,
  NOTIFICATION_RELEASED,
  NOTIFICATION_SNOOZED,
  PANEL_FOCUS_ITEM,
  SETTINGS_CHANGED,
  STORAGE_CHANGED,
  STREAMS_UPDATED,
  UNREAD_CHANGED,
} from "../events";
import { panelBanners, type Banner } from "../banners";
import { subscribe, toIpcError, type Backend } from "../ipc";
import type { AccountView, IpcError, LoginArgs, ProfileInfo, ViewSettings } from "../types";
import { AccountsState } from "./accounts.svelte";
import { Clock } from "./clock.svelte";
import { FacetsState } from "./facets.svelte";
import { FeedState } from "./feed.svelte";
import { HealthState, type CopyText } from "./health.svelte";
import { Locale } from "./locale.svelte";
import { PolicyState } from "./policy.svelte";
import { SearchState } from "./search.svelte";
import { SettingsState } from "./settings.svelte";
import { StorageState } from "./storage.svelte";
import { StreamsState } from "./streams.svelte";
import { resolveScreen, UiState, type Screen, type Tab } from "./ui.svelte";

export class AvisoApp {
  readonly settings: SettingsState;
  readonly locale: Locale;
  readonly accounts: AccountsState;
  readonly feed: FeedState;
  /** Unread and total counts per store and per kind, for the filter chips and the store headers. */
  readonly facets: FacetsState;
  /** The search box and its hits, narrowing the list of the current tab, store and kind. */
  readonly search: SearchState;
  /** The local database's problems, shown as banners. */
  readonly storage: StorageState;
  readonly streams: StreamsState;
  /** Rules, quiet hours and silence alarms: loaded when the settings view opens. */
  readonly policy: PolicyState;
  /** Connection health per account: polled while the health view is open. */
  readonly health: HealthState;
  readonly ui = new UiState();
  /** Relative times ("hace 5 minutos") refresh every minute. */
  readonly minute: Clock;
  /** Countdowns ("Reconectando en 12 s") tick every second, only while one is shown. */
  readonly second: Clock;
  /** A failure of the first load (the shell is not answering): shown instead of the panel. */
  startError = $state<IpcError | null>(null);

  readonly #backend: Backend;
  /** The person chose a view before the saved one was restored: theirs wins. */
  #viewChosen = false;

  constructor(
    backend: Backend,
    options: { now?: () => number; localeGuess?: string; copyText?: CopyText } = {},
  ) {
    this.#backend = backend;
    this.settings = new SettingsState(backend);
    this.locale = new Locale(() => this.settings.current?.language ?? "auto", options.localeGuess);
    this.accounts = new AccountsState(backend);
    this.facets = new FacetsState(backend);
    this.feed = new FeedState(backend, { onMarked: () => this.facets.refresh() });
    this.search = new SearchState(backend, () => ({
      filter: this.feed.filter,
      account: this.feed.scope.account,
      kind: this.feed.scope.kind,
    }));
    this.storage = new StorageState(backend);
    this.streams = new StreamsState(backend);
    this.policy = new PolicyState(backend);
    this.health = new HealthState(backend, options.copyText);
    this.minute = new Clock(60_000, options.now);
    this.second = new Clock(1000, options.now);
    this.screen = $derived(
      resolveScreen({
        loaded: this.accounts.loaded && this.settings.current !== null,
        accounts: this.accounts.list,
        requested: this.ui.requested,
        dismissed: this.ui.dismissed,
      }),
    );
    this.loginAccount = $derived.by(() => {
      const { loginTarget, requested } = this.ui;
      const name = loginTarget ?? (requested === "login" ? null : this.accounts.needingLogin?.name);
      return this.accounts.list.find((a) => a.name === name) ?? null;
    });
    this.banners = $derived(panelBanners(this.locale.lang, this.storage.problems, this.accounts.list));
  }

  /** The problems the panel shows at its top: storage, and stores that cannot connect securely. */
  readonly banners: Banner[];

  /** Which screen shows: login takes over when there is no account or a session was refused. */
  readonly screen: Screen;
  /** The account the login view renews: the one asked for, else one whose session was refused. */
  readonly loginAccount: AccountView | null;

  /** Listens to the shell first (so nothing is missed), then loads. Returns the cleanup for an `$effect`. */
  start(): () => void {
    // Untracked: the loads read state, and an effect that re-ran on it would listen and load all over again.
    return untrack(() => {
      const stop = subscribe(this.#backend, {
        [NOTIFICATION_RECEIVED]: (n) => {
          this.feed.queue(n);
          this.search.refresh();
          this.facets.refresh();
        },
        [NOTIFICATIONS_RECEIVED_BATCH]: (list) => {
          list.forEach((n) => this.feed.queue(n));
          this.search.refresh();
          this.facets.refresh();
        },
        [NOTIFICATIONS_READ]: (read) => {
          this.feed.applyRead(read);
          this.search.applyRead(read);
        },
        [NOTIFICATION_SNOOZED]: (snoozed) => {
          this.feed.applySnoozed(snoozed);
          this.search.applySnoozed(snoozed);
        },
        [NOTIFICATION_RELEASED]: (n) => {
          this.feed.receive(n);
          this.search.refresh();
        },
        [UNREAD_CHANGED]: (unread) => {
          this.accounts.setUnread(unread);
          this.facets.refresh();
        },
        [CONNECTION_STATE_CHANGED]: (view) => this.accounts.upsert(view),
        [PANEL_FOCUS_ITEM]: (target) => void this.focus(target),
        [STREAMS_UPDATED]: (channel) => this.streams.upsert(channel),
        [SETTINGS_CHANGED]: (settings) => this.settings.apply(settings),
        [STORAGE_CHANGED]: (problems) => this.storage.apply(problems),
      });
      void this.#load();
      return () => {
        stop();
        this.facets.stop();
      };
    });
  }

  async #load(): Promise<void> {
    try {
      await Promise.all([
        this.#backend.getLocale().then((os) => (this.locale.os = os)),
        this.settings.load(),
        this.accounts.load(),
        this.streams.load(),
        this.storage.load(),
      ]);
      await this.#restoreView();
      // A toast click that created this panel: show that item now that everything listens.
      const pending = await this.#backend.takePendingFocus();
      if (pending) await this.focus(pending);
    } catch (error) {
      this.startError = toIpcError(error);
    }
  }

  /**
   * The list's first page in the scope saved last time: a store that is gone, or a kind that store no longer has,
   * falls back to all (the saved choice is left as it is until the person picks again).
   */
  async #restoreView(): Promise<void> {
    const saved = this.settings.view;
    const account = this.accounts.list.some((a) => a.name === saved.account) ? saved.account : null;
    const facets = this.facets.load(account);
    let kind = saved.kind;
    if (kind !== null) {
      await facets;
      if (this.facets.loaded && !this.facets.hasKind(kind)) kind = null;
    }
    if (this.#viewChosen) {
      // Theirs is loading or loaded already; this only makes sure a first page comes (a no-op when it is on its way).
      await this.feed.loadMore();
      return;
    }
    this.feed.scope = { account, kind, group: saved.group };
    await Promise.all([facets, this.feed.loadMore()]);
  }

  /**
   * Narrows the list to a store and/or a kind, or groups it by store: the list starts over, the kinds are recounted
   * within the store, the search asks again, and the choice is saved for the next start.
   */
  async setView(patch: Partial<ViewSettings>): Promise<void> {
    this.#viewChosen = true;
    const storeChanged = patch.account !== undefined && patch.account !== this.feed.scope.account;
    const list = this.feed.setScope(patch);
    const scope = this.feed.scope;
    if (this.search.active) void this.search.run();
    await Promise.all([
      list,
      storeChanged ? this.facets.load(scope.account) : undefined,
      this.settings.saveView({ ...scope }),
    ]);
  }

  listProfiles(): Promise<ProfileInfo[]> {
    return this.#backend.listProfiles();
  }

  selectTab(tab: Tab): void {
    this.ui.tab = tab;
    if (tab === "live") return;
    const changed = this.feed.filter !== tab;
    void this.feed.setFilter(tab);
    // The search narrows the tab's list: a new tab, a new answer.
    if (changed && this.search.active) void this.search.run();
  }

  /**
   * Shows one item (a toast click). The shell marks it read at the same time, so it is shown under "All",
   * where it stays once the read arrives (the unread tab would drop it under the user's eyes).
   */
  async focus(target: { account: string; id: string }): Promise<void> {
    this.ui.showPanel();
    // The item is shown in its list, not among hits that may not hold it.
    this.search.clear();
    if (this.feed.filter !== "all") await this.feed.setFilter("all");
    this.ui.tab = "all";
    // A list narrowed to another store cannot hold it; one narrowed to another kind is widened if it is not found.
    const { account, kind } = this.feed.scope;
    if (account !== null && account !== target.account) await this.setView({ account: null });
    if (!(await this.feed.focus(target)) && (this.feed.scope.account !== null || kind !== null)) {
      await this.setView({ account: null, kind: null });
      await this.feed.focus(target);
    }
  }

  /** Logs in (or renews `name`), then shows that account's notifications. Throws IpcFailure for the view. */
  async login(args: LoginArgs): Promise<void> {
    await this.accounts.login(args);
    this.ui.loginTarget = null;
    this.ui.showPanel();
    this.search.refresh();
    await Promise.all([this.feed.reload(), this.streams.load(), this.facets.load()]);
  }

  /** Logs a store out and forgets it; a list narrowed to it shows every store again. */
  async logout(name: string): Promise<void> {
    await this.accounts.logout(name);
    this.search.refresh();
    if (this.feed.scope.account === name) {
      await Promise.all([this.setView({ account: null }), this.streams.load()]);
    } else {
      await Promise.all([this.feed.reload(), this.streams.load(), this.facets.load()]);
    }
  }

  /**
   * Renames a store. The engine renames it everywhere (history, settings, rules), so everything that names it is read
   * again; a list narrowed to it stays narrowed to it, under its new name. Throws IpcFailure for the view.
   */
  async rename(name: string, newName: string): Promise<AccountView> {
    const view = await this.accounts.rename(name, newName);
    const wasShown = this.feed.scope.account === name;
    if (wasShown) this.feed.scope = { ...this.feed.scope, account: view.name };
    this.search.refresh();
    // The rename is done: a reload that fails is not a failed rename (the list shows its own error).
    const reloads = await Promise.allSettled([
      this.feed.reload(),
      this.facets.load(this.feed.scope.account),
      this.settings.load(),
      this.streams.load(),
      this.policy.current && !this.policy.dirty ? this.policy.load() : undefined,
    ]);
    for (const r of reloads)
      if (r.status === "rejected") console.error("reload after rename failed", r.reason);
    // Saved under its new name too, if the engine did not rename it in the saved view itself.
    if (wasShown) await this.settings.saveView({ ...this.feed.scope });
    return view;
  }
}
