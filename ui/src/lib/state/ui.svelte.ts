//! Which screen and tab the panel shows. Pure navigation: the truth it decides from lives in the other states.
import { SvelteSet } from "svelte/reactivity";
import type { AccountView, Notification } from "../types";

export type Screen = "loading" | "login" | "panel" | "settings" | "health";
export type Requested = "panel" | "settings" | "login" | "health";
export type Tab = "unread" | "all" | "live";

export interface ScreenInputs {
  loaded: boolean;
  accounts: AccountView[];
  /** What the person asked for last. */
  requested: Requested;
  /** Accounts whose "sign in again" prompt the person put off with "Not now". */
  dismissed: ReadonlySet<string>;
}

/** The login view takes over when there is no account, or one needs login and was not put off. */
export function resolveScreen({ loaded, accounts, requested, dismissed }: ScreenInputs): Screen {
  if (!loaded) return "loading";
  if (accounts.length === 0) return "login";
  if (requested === "login") return "login";
  if (accounts.some((a) => a.state === "needs_login" && !dismissed.has(a.name))) return "login";
  return requested;
}

export class UiState {
  requested = $state<Requested>("panel");
  tab = $state<Tab>("unread");
  /** The account the login view renews (its name goes to `login`), or null for a new account. */
  loginTarget = $state<string | null>(null);
  /** The notification whose "remind me later" choices are open, if any. */
  snoozing = $state<Notification | null>(null);
  /** The account whose card the health view brings into sight (opened from its connection bar row), if any. */
  healthTarget = $state<string | null>(null);
  readonly dismissed = new SvelteSet<string>();

  showPanel(): void {
    this.requested = "panel";
  }

  showSettings(): void {
    this.requested = "settings";
  }

  /** The connection health view, brought to `account`'s card when given. */
  showHealth(account: string | null = null): void {
    this.healthTarget = account;
    this.requested = "health";
  }

  /** Opens the login view for a new account (`null`) or to renew `account`. */
  showLogin(account: string | null): void {
    this.loginTarget = account;
    this.requested = "login";
    if (account) this.dismissed.delete(account);
  }

  /** "Not now": back to where the person was, and stop insisting for these accounts. */
  dismissLogin(accounts: AccountView[]): void {
    for (const a of accounts) if (a.state === "needs_login") this.dismissed.add(a.name);
    this.loginTarget = null;
    this.requested = "panel";
  }
}
