//! An in-memory Backend for unit tests: records every call, answers from arrays, fires events on demand.
import type { EventName, EventPayloads } from "../lib/events";
import type { Backend } from "../lib/ipc";
import type {
  AccountView,
  Cursor,
  Filter,
  Health,
  IpcError,
  Notification,
  PolicyConfig,
  SearchHit,
  Settings,
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
};

const older = (n: Notification, c: Cursor) =>
  Date.parse(n.created_at) < Date.parse(c.created_at) || (n.created_at === c.created_at && n.id < c.id);

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
  listNotifications = (filter: Filter, before: Cursor | null, limit: number) =>
    this.#record("listNotifications", [filter, before, limit], () =>
      this.store
        .filter((n) => (filter === "all" || !n.read) && (!before || older(n, before)))
        .slice(0, limit)
        .map((n) => ({ ...n })),
    );
  /** Search answers: every notification whose title or body contains the query (case ignored), unmarked. */
  searchNotifications = (query: string, filter: Filter, account: string | null, limit: number) =>
    this.#record("searchNotifications", [query, filter, account, limit], (): SearchHit[] =>
      this.store
        .filter((n) => filter === "all" || !n.read)
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
