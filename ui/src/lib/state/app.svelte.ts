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
  STREAMS_UPDATED,
  UNREAD_CHANGED,
} from "../events";
import { subscribe, toIpcError, type Backend } from "../ipc";
import type { AccountView, IpcError, LoginArgs, ProfileInfo } from "../types";
import { AccountsState } from "./accounts.svelte";
import { Clock } from "./clock.svelte";
import { FeedState } from "./feed.svelte";
import { HealthState, type CopyText } from "./health.svelte";
import { Locale } from "./locale.svelte";
import { PolicyState } from "./policy.svelte";
import { SearchState } from "./search.svelte";
import { SettingsState } from "./settings.svelte";
import { StreamsState } from "./streams.svelte";
import { resolveScreen, UiState, type Screen, type Tab } from "./ui.svelte";

export class AvisoApp {
  readonly settings: SettingsState;
  readonly locale: Locale;
  readonly accounts: AccountsState;
  readonly feed: FeedState;
  /** The search box and its hits, narrowing the list of the current tab. */
  readonly search: SearchState;
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

  constructor(
    backend: Backend,
    options: { now?: () => number; localeGuess?: string; copyText?: CopyText } = {},
  ) {
    this.#backend = backend;
    this.settings = new SettingsState(backend);
    this.locale = new Locale(() => this.settings.current?.language ?? "auto", options.localeGuess);
    this.accounts = new AccountsState(backend);
    this.feed = new FeedState(backend);
    this.search = new SearchState(backend, () => this.feed.filter);
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
  }

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
        },
        [NOTIFICATIONS_RECEIVED_BATCH]: (list) => {
          list.forEach((n) => this.feed.queue(n));
          this.search.refresh();
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
        [UNREAD_CHANGED]: (unread) => this.accounts.setUnread(unread),
        [CONNECTION_STATE_CHANGED]: (view) => this.accounts.upsert(view),
        [PANEL_FOCUS_ITEM]: (target) => void this.focus(target),
        [STREAMS_UPDATED]: (channel) => this.streams.upsert(channel),
        [SETTINGS_CHANGED]: (settings) => this.settings.apply(settings),
      });
      void this.#load();
      return stop;
    });
  }

  async #load(): Promise<void> {
    try {
      await Promise.all([
        this.#backend.getLocale().then((os) => (this.locale.os = os)),
        this.settings.load(),
        this.accounts.load(),
        this.streams.load(),
        this.feed.loadMore(),
      ]);
      // A toast click that created this panel: show that item now that everything listens.
      const pending = await this.#backend.takePendingFocus();
      if (pending) await this.focus(pending);
    } catch (error) {
      this.startError = toIpcError(error);
    }
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
    await this.feed.focus(target);
  }

  /** Logs in (or renews `name`), then shows that account's notifications. Throws IpcFailure for the view. */
  async login(args: LoginArgs): Promise<void> {
    await this.accounts.login(args);
    this.ui.loginTarget = null;
    this.ui.showPanel();
    this.search.refresh();
    await Promise.all([this.feed.reload(), this.streams.load()]);
  }

  async logout(name: string): Promise<void> {
    await this.accounts.logout(name);
    this.search.refresh();
    await Promise.all([this.feed.reload(), this.streams.load()]);
  }
}
