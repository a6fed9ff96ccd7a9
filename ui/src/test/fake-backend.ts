//! An in-memory Backend for unit tests: records every call, answers from arrays, fires events on demand.
import type { EventName, EventPayloads } from "../lib/events";
import type { Backend } from "../lib/ipc";
import type {
  AccountView,
  Cursor,
  Facets,
  Filter,
  Health,
  IpcError,
  ListScope,
  Notification,
  PolicyConfig,
  SearchHit,
  Settings,
  StorageCode,
  StorageProblem,
} from "../lib/types";

export interface Recorded {
  method: string;
  args: unknown[];
}

export function notification(i: number, patch: Partial<Notification> = {}): Notification {
  return {
    account: "tienda",
    id: String(1000 - i),
    kind: "nueva_compra",
    title: `Compra ${i}`,
    body: `Cuerpo ${i}`,
    url: null,
    created_at: new Date(Date.UTC(2025, 10, 17, 12, 0, 0) - i * 60_000).toISOString(),
    read: false,
    data: null,
    ...patch,
  };
}

export function accountView(name: string, patch: Partial<AccountView> = {}): AccountView {
  return {
    name,
    server: `https://${name}.example.com`,
    profile: "smartsales",
    state: "live",
    transport: "websocket",
    detail: "",
    last_event_at: null,
    next_retry_at: null,
    unread: 0,
    ...patch,
  };
}

export function health(account: string, patch: Partial<Health> = {}): Health {
  return {
    account,
    server: `https://${account}.example.com/`,
    state: "live",
    transport: "websocket",
    detail: "",
    connected_since: null,
    last_event: null,
    rtt_ms: null,
    reconnects_today: 0,
    reconnect_reasons: {},
    next_retry_at: null,
    last_catch_up: null,
    queued_marks: 0,
    unread: 0,
    token_expires_at: null,
    store_bytes: 0,
    as_of: "2025-11-17T12:00:00Z",
    ...patch,
  };
}

export const SETTINGS: Settings = {
  language: "auto",
  toasts: true,
  sound: false,
  autostart: true,
  paused_until: null,
  shortcut: "CommandOrControl+Alt+Shift+A",
  badge_accounts: null,
  view: { account: null, kind: null, group: false },
};

/** The shell's order: newest first (id descending on ties); with `group`, store names ascending first. */
export function shellOrder(group: boolean): (a: Notification, b: Notification) => number {
  return (a, b) => {
    if (group && a.account !== b.account) return a.account < b.account ? -1 : 1;
    const byTime = Date.parse(b.created_at) - Date.parse(a.created_at);
    return byTime || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  };
}

/** Counts per key, most first then by key, as `get_facets` sorts kinds. */
function countBy<K extends string>(items: Notification[], keyOf: (n: Notification) => string, name: K) {
  const counts = new Map<string, { unread: number; total: number }>();
  for (const n of items) {
    const c = counts.get(keyOf(n)) ?? { unread: 0, total: 0 };
    c.total++;
    if (!n.read) c.unread++;
    counts.set(keyOf(n), c);
  }
  return [...counts]
    .map(([key, c]) => ({ [name]: key, ...c }) as { [P in K]: string } & { unread: number; total: number })
    .sort((a, b) => b.total - a.total || (a[name] < b[name] ? -1 : a[name] > b[name] ? 1 : 0));
}

export class FakeBackend implements Backend {
  calls: Recorded[] = [];
  store: Notification[] = [];
  accounts: AccountView[] = [];
  settings: Settings = { ...SETTINGS };
  locale = "es-ES";
  /** Method name → the error it rejects with. */
  failures: Record<string, IpcError> = {};
  handlers = new Map<string, Set<(payload: unknown) => void>>();
  unlistened: string[] = [];

  #record<T>(method: string, args: unknown[], answer: () => T): Promise<T> {
    this.calls.push({ method, args });
    const failure = this.failures[method];
    return failure ? Promise.reject(failure) : Promise.resolve().then(answer);
  }

  callsOf(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  fire<E extends EventName>(event: E, payload: EventPayloads[E]): void {
    for (const handler of this.handlers.get(event) ?? []) handler(payload);
  }

  getAccounts = () => this.#record("getAccounts", [], () => structuredClone(this.accounts));
  listNotifications = (filter: Filter, before: Cursor | null, limit: number, scope: ListScope) =>
    this.#record("listNotifications", [filter, before, limit, scope], () => {
      const order = shellOrder(scope.group);
      const after = before && ({ ...before } as Notification);
      return this.store
        .filter(
          (n) =>
            (filter === "all" || !n.read) &&
            (scope.account === null || n.account === scope.account) &&
            (scope.kind === null || n.kind === scope.kind) &&
            (!after || order(n, after) > 0),
        )
        .sort(order)
        .slice(0, limit)
        .map((n) => ({ ...n }));
    });
  /** Search answers: every notification whose title or body contains the query (case ignored), unmarked. */
  searchNotifications = (
    query: string,
    filter: Filter,
    account: string | null,
    kind: string | null,
    limit: number,
  ) =>
    this.#record("searchNotifications", [query, filter, account, kind, limit], (): SearchHit[] =>
      this.store
        .filter((n) => filter === "all" || !n.read)
        .filter((n) => (account === null || n.account === account) && (kind === null || n.kind === kind))
        .filter((n) => `${n.title} ${n.body}`.toLowerCase().includes(query.trim().toLowerCase()))
        .slice(0, limit)
        .map((n) => ({
          notification: { ...n },
          highlights: { title: [{ text: n.title, match: false }], body: [{ text: n.body, match: false }] },
        })),
    );
  markRead = (account: string, ids: string[]) =>
    this.#record("markRead", [account, ids], () => {
      for (const n of this.store) if (n.account === account && ids.includes(n.id)) n.read = true;
    });
  markAllRead = (account: string | null) =>
    this.#record("markAllRead", [account], () => {
      for (const n of this.store) if (account === null || n.account === account) n.read = true;
    });
  openNotification = (account: string, id: string) =>
    this.#record("openNotification", [account, id], () => undefined);
  listProfiles = () =>
    this.#record("listProfiles", [], () => [{ name: "smartsales", description: "SmartSales365" }]);
  login = (args: Parameters<Backend["login"]>[0]) =>
    this.#record("login", [args], () =>
      accountView(args.name ?? `${args.username}@x`, { server: args.server }),
    );
  logout = (account: string) =>
    this.#record("logout", [account], () => {
      this.accounts = this.accounts.filter((a) => a.name !== account);
    });
  getSettings = () => this.#record("getSettings", [], () => ({ ...this.settings }));
  setSettings = (settings: Settings) =>
    this.#record("setSettings", [settings], () => (this.settings = { ...settings }));
  getStreams = () => this.#record("getStreams", [], () => []);
  getLocale = () => this.#record("getLocale", [], () => this.locale);
  pendingFocus: { account: string; id: string } | null = null;
  takePendingFocus = () =>
    this.#record("takePendingFocus", [], () => {
      const target = this.pendingFocus;
      this.pendingFocus = null;
      return target;
    });
  policy: PolicyConfig = {
    burst_max: 3,
    burst_window_secs: 2,
    gather_secs: 0.4,
    late_after_secs: 60,
    time_zone: "",
    time_zones: {},
    quiet_hours: [],
    rules: [],
    silence: [],
  };
  getPolicy = () => this.#record("getPolicy", [], () => structuredClone(this.policy));
  setPolicy = (policy: PolicyConfig) =>
    this.#record("setPolicy", [policy], () => (this.policy = structuredClone(policy)));
  snooze = (account: string, id: string, when: string) =>
    this.#record("snooze", [account, id, when], () => ({ until: "2099-01-01T09:00:00Z" }));
  healths: Health[] = [];
  diagnostics = "Aviso diagnostics";
  getHealth = (account: string | null) =>
    this.#record("getHealth", [account], () =>
      structuredClone(this.healths.filter((h) => account === null || h.account === account)),
    );
  reconnect = (account: string) => this.#record("reconnect", [account], () => undefined);
  testToast = (account: string | null) => this.#record("testToast", [account], () => undefined);
  getDiagnostics = () => this.#record("getDiagnostics", [], () => this.diagnostics);
  /** Every account's counts (accounts without notifications too), and the kinds within `account`. */
  getFacets = (account: string | null) =>
    this.#record("getFacets", [account], (): Facets => {
      const byAccount = countBy(this.store, (n) => n.account, "account");
      const accounts = this.accounts.map(
        (a) => byAccount.find((c) => c.account === a.name) ?? { account: a.name, unread: 0, total: 0 },
      );
      const within = this.store.filter((n) => account === null || n.account === account);
      return { accounts, kinds: countBy(within, (n) => n.kind, "kind") };
    });
  /** As the engine: the account, its history and the settings that name it take the new name. */
  renameAccount = (account: string, newName: string) =>
    this.#record("renameAccount", [account, newName], () => {
      const found = this.accounts.find((a) => a.name === account);
      if (!found) throw { code: "unknown_account", message: account } satisfies IpcError;
      // As the engine (aviso_engine::accounts::check_name): 1 to 64 characters once trimmed, no control ones.
      const trimmed = newName.trim();
      if (trimmed.length === 0 || [...trimmed].length > 64 || /\p{Cc}/u.test(trimmed)) {
        throw { code: "invalid_name", message: newName } satisfies IpcError;
      }
      if (this.accounts.some((a) => a.name === newName)) {
        throw { code: "name_taken", message: newName } satisfies IpcError;
      }
      found.name = newName;
      for (const n of this.store) if (n.account === account) n.account = newName;
      const { view, badge_accounts } = this.settings;
      this.settings = {
        ...this.settings,
        view: view.account === account ? { ...view, account: newName } : view,
        badge_accounts: badge_accounts?.map((a) => (a === account ? newName : a)) ?? null,
      };
      return structuredClone(found);
    });
  storage: StorageProblem[] = [];
  getStorage = () => this.#record("getStorage", [], () => structuredClone(this.storage));
  dismissStorage = (code: StorageCode) =>
    this.#record("dismissStorage", [code], () => {
      this.storage = this.storage.filter((p) => p.code !== code);
    });
  listen<E extends EventName>(event: E, handler: (payload: EventPayloads[E]) => void): Promise<() => void> {
    const set = this.handlers.get(event) ?? new Set();
    this.handlers.set(event, set);
    const h = handler as (payload: unknown) => void;
    set.add(h);
    return Promise.resolve(() => {
      set.delete(h);
      this.unlistened.push(event);
    });
  }
}
