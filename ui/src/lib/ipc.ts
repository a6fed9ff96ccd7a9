//! The only module that talks to Tauri: typed commands and events of docs/ipc.md, errors normalised to IpcError.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { EventName, EventPayloads } from "./events";
import {
  ERROR_CODES,
  type AccountView,
  type Cursor,
  type ErrorCode,
  type Facets,
  type FocusItem,
  type Filter,
  type Health,
  type IpcError,
  type ListScope,
  type LoginArgs,
  type Notification,
  type PolicyConfig,
  type PolicyProblem,
  type ProfileInfo,
  type SearchHit,
  type Settings,
  type StorageCode,
  type StorageProblem,
  type StreamChannel,
} from "./types";

/**
 * What the state classes need from the shell. The Tauri implementation is `tauriBackend`; unit tests hand
 * the classes a fake, so no state class imports Tauri.
 */
export interface Backend {
  getAccounts(): Promise<AccountView[]>;
  /** A page of the list: `scope` narrows it to a store and a kind, and with `group` orders it store by store. */
  listNotifications(
    filter: Filter,
    before: Cursor | null,
    limit: number,
    scope: ListScope,
  ): Promise<Notification[]>;
  /** Full-text search of the store (title, body, payload values), newest first; `account`, `kind` null for all. */
  searchNotifications(
    query: string,
    filter: Filter,
    account: string | null,
    kind: string | null,
    limit: number,
  ): Promise<SearchHit[]>;
  /** Unread and total counts per account, and per kind within `account` (every account with `null`). */
  getFacets(account: string | null): Promise<Facets>;
  /** Renames an account everywhere (its history stays); `name_taken`, `invalid_name`, `unknown_account`. */
  renameAccount(account: string, newName: string): Promise<AccountView>;
  /** The local database's problems now (disk full, read-only, a damaged file moved aside). */
  getStorage(): Promise<StorageProblem[]>;
  /** "Entendido" on a problem that is over but was worth saying (`moved_aside`). */
  dismissStorage(code: StorageCode): Promise<void>;
  markRead(account: string, ids: string[]): Promise<void>;
  /** `null` marks every account's notifications read. */
  markAllRead(account: string | null): Promise<void>;
  openNotification(account: string, id: string): Promise<void>;
  listProfiles(): Promise<ProfileInfo[]>;
  login(args: LoginArgs): Promise<AccountView>;
  logout(account: string): Promise<void>;
  getSettings(): Promise<Settings>;
  setSettings(settings: Settings): Promise<Settings>;
  getStreams(): Promise<StreamChannel[]>;
  getLocale(): Promise<string>;
  /** The item a toast click asked to show before this panel was listening, if any. */
  takePendingFocus(): Promise<FocusItem | null>;
  /** `[policy]` of config.toml: rules, quiet hours, silence alarms. */
  getPolicy(): Promise<PolicyConfig>;
  /** Saved only when the engine reads all of it; else rejects with `bad_policy` and its `problems`. */
  setPolicy(policy: PolicyConfig): Promise<PolicyConfig>;
  /** Snoozes an unread notification until `when` (`1h`, `mañana 9:00`, `2026-12-08 09:00`); resolves to that time. */
  snooze(account: string, id: string, when: string): Promise<{ until: string }>;
  /** Connection health of one account, or of every running account with `null`. */
  getHealth(account: string | null): Promise<Health[]>;
  /** "Reconnect now": the account reconnects and catches up at once. */
  reconnect(account: string): Promise<void>;
  /** "Test notification": the shell raises a test toast through the same path as real ones. */
  testToast(account: string | null): Promise<void>;
  /** The health facts as plain text for support (URLs redacted, no tokens). */
  getDiagnostics(): Promise<string>;
  listen<E extends EventName>(event: E, handler: (payload: EventPayloads[E]) => void): Promise<() => void>;
}

/** A rejected command, as an Error (for stacks) that is also an IpcError (for the UI's switch on `code`). */
export class IpcFailure extends Error implements IpcError {
  readonly code: ErrorCode;
  readonly problems?: PolicyProblem[];
  constructor(error: IpcError) {
    super(error.message);
    this.name = "IpcFailure";
    this.code = error.code;
    if (error.problems) this.problems = error.problems;
  }
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && (ERROR_CODES as readonly string[]).includes(code);
}

/**
 * Normalises whatever a command rejected with. The contract says `{code, message}`; a plain string (a shell
 * bug or a Tauri-level failure such as an unknown command) or an unknown code becomes `internal`.
 */
export function toIpcError(error: unknown): IpcError {
  if (error instanceof IpcFailure) {
    return error.problems
      ? { code: error.code, message: error.message, problems: error.problems }
      : { code: error.code, message: error.message };
  }
  if (typeof error === "object" && error !== null && "code" in error) {
    const { code, message, problems } = error as { code: unknown; message?: unknown; problems?: unknown };
    const text = typeof message === "string" ? message : "";
    if (!isErrorCode(code)) return { code: "internal", message: text || String(code) };
    return Array.isArray(problems)
      ? { code, message: text, problems: problems as PolicyProblem[] }
      : { code, message: text };
  }
  if (error instanceof Error) return { code: "internal", message: error.message };
  return { code: "internal", message: typeof error === "string" ? error : (JSON.stringify(error) ?? "") };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw new IpcFailure(toIpcError(error));
  }
}

export const tauriBackend: Backend = {
  getAccounts: () => call("get_accounts"),
  listNotifications: (filter, before, limit, { account, kind, group }) =>
    call("list_notifications", { filter, before, limit, account, kind, group }),
  searchNotifications: (query, filter, account, kind, limit) =>
    call("search_notifications", { query, filter, account, kind, before: null, limit }),
  getFacets: (account) => call("get_facets", { account }),
  renameAccount: (account, newName) => call("rename_account", { account, new_name: newName }),
  getStorage: () => call("get_storage"),
  dismissStorage: (code) => call("dismiss_storage", { code }),
  markRead: (account, ids) => call("mark_read", { account, ids }),
  markAllRead: (account) => call("mark_all_read", { account }),
  openNotification: (account, id) => call("open_notification", { account, id }),
  listProfiles: () => call("list_profiles"),
  login: (args) => call("login", { ...args }),
  logout: (account) => call("logout", { account }),
  getSettings: () => call("get_settings"),
  setSettings: (settings) => call("set_settings", { settings }),
  getStreams: () => call("get_streams"),
  getLocale: () => call("get_locale"),
  takePendingFocus: () => call("take_pending_focus"),
  getPolicy: () => call("get_policy"),
  setPolicy: (policy) => call("set_policy", { policy }),
  snooze: (account, id, when) => call("snooze", { account, id, when }),
  getHealth: (account) => call("get_health", { account }),
  reconnect: (account) => call("reconnect", { account }),
  testToast: (account) => call("test_toast", { account }),
  getDiagnostics: () => call("get_diagnostics"),
  listen: (event, handler) => listen<EventPayloads[typeof event]>(event, (e) => handler(e.payload)),
};

export type Handlers = { [E in EventName]?: (payload: EventPayloads[E]) => void };

/**
 * Listens to several events and returns one synchronous cleanup for an `$effect`. `listen` resolves later,
 * so a cleanup that runs first still unlistens each one as soon as it arrives: no listener outlives its effect.
 */
export function subscribe(backend: Backend, handlers: Handlers): () => void {
  let disposed = false;
  const unlisteners: (() => void)[] = [];
  for (const event of Object.keys(handlers) as EventName[]) {
    const handler = handlers[event] as (payload: unknown) => void;
    backend
      .listen(event, handler)
      .then((unlisten) => {
        if (disposed) unlisten();
        else unlisteners.push(unlisten);
      })
      .catch((error: unknown) => console.error(`listen ${event} failed`, error));
  }
  return () => {
    disposed = true;
    for (const unlisten of unlisteners.splice(0)) unlisten();
  };
}
