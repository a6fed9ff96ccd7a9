//! The shell, faked in the page: `mockIPC` answers docs/ipc.md's commands from a scenario and emits the events
//! a real shell would. Bundled to e2e/.build/harness.js and injected before the app's script runs.
import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";
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
  Segment,
  Settings,
  StorageProblem,
} from "../../src/lib/types";
import { diagnosticsText, makeNotification } from "./data";
import { health as healthOf, PROFILES, type Scenario } from "./scenario";

interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

declare global {
  interface Window {
    __AVISO_SCENARIO__: Scenario;
    __aviso: {
      calls: Call[];
      listeners: Record<string, number>;
      cspViolations: string[];
      emit(event: string, payload: unknown): Promise<void>;
      notifications(): Notification[];
      /** Changes one account's `get_health` answer (relative times resolved): the view's next poll shows it. */
      setHealth(account: string, patch: Partial<Health>): void;
      /** What the app wrote with `navigator.clipboard.writeText`, in order (also when the clipboard refused). */
      clipboard: string[];
      now: number;
    };
  }
}

const scenario = window.__AVISO_SCENARIO__;
const now = Date.now();

/** "@-120s" → an RFC 3339 time 120 s before the page started; everything else unchanged, recursively. */
function resolveTimes<T>(value: T): T {
  if (typeof value === "string") {
    const match = /^@([+-]\d+)s$/.exec(value);
    return (match ? new Date(now + Number(match[1]) * 1000).toISOString() : value) as T;
  }
  if (Array.isArray(value)) return value.map(resolveTimes) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveTimes(v)])) as T;
  }
  return value;
}

const accounts: AccountView[] = resolveTimes(scenario.accounts);
/**
 * Settings outlive a reload of the page, as config.toml outlives a restart of the app (the browser context, and so
 * this storage, is new for each test).
 */
const SAVED_SETTINGS = "aviso-e2e-settings";
const saved = sessionStorage.getItem(SAVED_SETTINGS);
let settings: Settings = saved
  ? (JSON.parse(saved) as Settings)
  : {
      language: "auto",
      toasts: true,
      sound: false,
      autostart: true,
      paused_until: null,
      shortcut: "CommandOrControl+Alt+Shift+A",
      badge_accounts: null,
      view: { account: null, kind: null, group: false },
      ...resolveTimes(scenario.settings ?? {}),
    };
function saveSettings(next: Settings): void {
  settings = next;
  sessionStorage.setItem(SAVED_SETTINGS, JSON.stringify(settings));
  setTimeout(() => void emit("settings://changed", settings), 0);
}
let storage: StorageProblem[] = resolveTimes(scenario.storage ?? []);
const streams = resolveTimes(scenario.streams ?? []);
let policy: PolicyConfig = {
  burst_max: 3,
  burst_window_secs: 2,
  gather_secs: 0.4,
  late_after_secs: 60,
  time_zone: "",
  time_zones: {},
  quiet_hours: [],
  rules: [],
  silence: [],
  ...scenario.policy,
};
const healths: Health[] = resolveTimes(scenario.health ?? accounts.map((a) => healthOf(a.name)));
const healthFor = (account: unknown) => healths.find((h) => h.account === account);

/** `reconnect`: "connecting" at once, live again (and caught up) a moment later. */
function reconnect(found: Health): void {
  const transport = found.transport ?? "websocket";
  Object.assign(found, { state: "connecting", transport: null, detail: "", connected_since: null });
  setTimeout(() => {
    const at = new Date().toISOString();
    Object.assign(found, {
      state: "live",
      transport,
      connected_since: at,
      next_retry_at: null,
      last_catch_up: { at, items: 0, ok: true },
    });
  }, scenario.reconnectMs ?? 400);
}

/** Snoozed items, out of the unread list until released. */
const snoozed = new Set<string>();
const snoozeKey = (account: string, id: string) => `${account}\n${id}`;
let store: Notification[] = resolveTimes(scenario.notifications ?? []);
if (scenario.generate) {
  const names = accounts.map((a) => a.name);
  const { count, unread } = scenario.generate;
  for (let i = 0; i < count; i++) {
    const isUnread = unread === "every-third" ? i % 3 === 0 : i < unread;
    store.push(makeNotification(i, names.length ? names : ["tienda"], now, isUnread));
  }
}
const newestFirst = (a: Notification, b: Notification) =>
  Date.parse(b.created_at) - Date.parse(a.created_at) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
/** Grouped: account names ascending (plain string order), then newest first. */
const storeThenNewest = (a: Notification, b: Notification) =>
  a.account !== b.account ? (a.account < b.account ? -1 : 1) : newestFirst(a, b);
store.sort(newestFirst);

const unreadOf = (account: string) =>
  store.filter((n) => n.account === account && !n.read && !snoozed.has(snoozeKey(n.account, n.id))).length;
for (const a of accounts) a.unread = unreadOf(a.name);

const calls: Call[] = [];
const listeners: Record<string, number> = {};
const cspViolations: string[] = [];
document.addEventListener("securitypolicyviolation", (e) =>
  cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
);

function fail(error: IpcError): Promise<never> {
  return Promise.reject(error);
}

function announceUnread(account: string): void {
  const total = accounts.reduce((sum, a) => sum + unreadOf(a.name), 0);
  const view = accounts.find((a) => a.name === account);
  if (view) view.unread = unreadOf(account);
  void emit("notifications://unread-changed", { account, count: unreadOf(account), total });
}

/** After a change, what the real shell emits: the read marks, then each touched account's unread count. */
function announceRead(account: string, ids: string[], all: boolean): void {
  setTimeout(() => {
    void emit("notifications://read", { account, ids, all });
    const total = accounts.reduce((sum, a) => sum + unreadOf(a.name), 0);
    const view = accounts.find((a) => a.name === account);
    if (view) view.unread = unreadOf(account);
    void emit("notifications://unread-changed", { account, count: unreadOf(account), total });
  }, 0);
}

function markRead(account: string, ids: string[]): void {
  const wanted = new Set(ids);
  for (const n of store) if (n.account === account && wanted.has(n.id)) n.read = true;
  announceRead(account, ids, false);
}

const isHidden = (n: Notification) => snoozed.has(snoozeKey(n.account, n.id));

/** As the engine: narrowed to `account` and `kind` when given; with `group`, store by store; after `before`. */
function list(filter: Filter, before: Cursor | null, limit: number, scope: ListScope): Notification[] {
  const order = scope.group ? storeThenNewest : newestFirst;
  const after = (n: Notification) =>
    !before ||
    order(n, { created_at: before.created_at, id: before.id, account: before.account } as Notification) > 0;
  const sorted = scope.group ? [...store].sort(order) : store;
  const page: Notification[] = [];
  for (const n of sorted) {
    if (page.length >= limit) break;
    if (scope.account !== null && n.account !== scope.account) continue;
    if (scope.kind !== null && n.kind !== scope.kind) continue;
    if ((filter === "all" || (!n.read && !isHidden(n))) && after(n)) page.push({ ...n });
  }
  return page;
}

/** Per key: unread (snoozed left out, as in the unread list) and total; most first, then by key. */
function counts(items: Notification[], keyOf: (n: Notification) => string) {
  const found = new Map<string, { unread: number; total: number }>();
  for (const n of items) {
    const c = found.get(keyOf(n)) ?? { unread: 0, total: 0 };
    c.total++;
    if (!n.read && !isHidden(n)) c.unread++;
    found.set(keyOf(n), c);
  }
  return [...found].sort(([a, x], [b, y]) => y.total - x.total || (a < b ? -1 : a > b ? 1 : 0));
}

function facets(account: string | null): Facets {
  const byAccount = new Map(counts(store, (n) => n.account));
  return {
    accounts: accounts.map((a) => ({
      account: a.name,
      ...(byAccount.get(a.name) ?? { unread: 0, total: 0 }),
    })),
    kinds: counts(
      store.filter((n) => account === null || n.account === account),
      (n) => n.kind,
    ).map(([kind, c]) => ({ kind, ...c })),
  };
}

/** The names the engine takes (aviso_engine::accounts::check_name): 1 to 64 characters once trimmed, no control ones. */
function validName(name: string): boolean {
  const trimmed = name.trim();
  return trimmed.length > 0 && [...trimmed].length <= 64 && !/\p{Cc}/u.test(trimmed);
}

/** As the engine: the account takes its new name everywhere (history, settings, health, streams, rules). */
function rename(account: string, name: string): AccountView | Promise<never> {
  const found = accounts.find((a) => a.name === account);
  if (!found) return fail({ code: "unknown_account", message: account });
  if (!validName(name)) return fail({ code: "invalid_name", message: `\`${name}\` is not a valid name` });
  if (accounts.some((a) => a.name === name)) return fail({ code: "name_taken", message: `${name} exists` });
  found.name = name;
  for (const n of store) if (n.account === account) n.account = name;
  for (const h of healths) if (h.account === account) h.account = name;
  for (const c of streams) if (c.account === account) c.account = name;
  for (const rule of policy.rules) if (rule.account === account) rule.account = name;
  const view = settings.view.account === account ? { ...settings.view, account: name } : settings.view;
  const badge = settings.badge_accounts?.map((a) => (a === account ? name : a)) ?? null;
  saveSettings({ ...settings, view, badge_accounts: badge });
  setTimeout(() => void emit("connection://state-changed", { ...found }), 0);
  return { ...found };
}

/**
 * The engine's search, as far as the panel can tell: words folded (case and accents dropped), each query word a
 * prefix of some word of the title, body or payload values, newest first, the matched prefixes as segments. (The
 * engine's own rules are tested in the engine; this only has to answer like it.)
 */
const fold = (text: string) => text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;

function cut(text: string, terms: string[]): Segment[] {
  const segments: Segment[] = [];
  let at = 0;
  for (const word of text.matchAll(WORD)) {
    const folded = fold(word[0]);
    const covered = Math.max(0, ...terms.filter((t) => folded.startsWith(t)).map((t) => t.length));
    if (covered === 0) continue;
    // Original chars until the folded prefix is covered.
    let end = 0;
    while (end < word[0].length && fold(word[0].slice(0, end)).length < covered) end++;
    const start = word.index;
    if (start > at) segments.push({ text: text.slice(at, start), match: false });
    segments.push({ text: text.slice(start, start + end), match: true });
    at = start + end;
  }
  if (at < text.length) segments.push({ text: text.slice(at), match: false });
  return segments;
}

function payloadText(data: unknown): string {
  if (typeof data === "string" || typeof data === "number") return String(data);
  if (Array.isArray(data)) return data.map(payloadText).join(" ");
  if (data && typeof data === "object") return Object.values(data).map(payloadText).join(" ");
  return "";
}

function search(
  query: string,
  filter: Filter,
  account: string | null,
  kind: string | null,
  limit: number,
): SearchHit[] {
  const terms = [...query.matchAll(WORD)].map((m) => fold(m[0]));
  if (terms.length === 0) return [];
  const hits: SearchHit[] = [];
  for (const n of store) {
    if (hits.length >= limit) break;
    if (account !== null && n.account !== account) continue;
    if (kind !== null && n.kind !== kind) continue;
    if (filter === "unread" && (n.read || isHidden(n))) continue;
    const words = [n.title, n.body, payloadText(n.data)].flatMap((t) =>
      [...t.matchAll(WORD)].map((m) => fold(m[0])),
    );
    if (!terms.every((t) => words.some((w) => w.startsWith(t)))) continue;
    hits.push({
      notification: { ...n },
      highlights: { title: cut(n.title, terms), body: cut(n.body, terms) },
    });
  }
  return hits;
}

function handle(cmd: string, args: Record<string, unknown>): unknown {
  const failure = scenario.failures?.[cmd];
  if (failure) return fail(failure);
  switch (cmd) {
    case "get_accounts":
      return accounts.map((a) => ({ ...a }));
    case "list_notifications":
      return list(args.filter as Filter, args.before as Cursor | null, args.limit as number, {
        account: args.account as string | null,
        kind: args.kind as string | null,
        group: args.group as boolean,
      });
    case "search_notifications":
      return search(
        args.query as string,
        args.filter as Filter,
        args.account as string | null,
        args.kind as string | null,
        args.limit as number,
      );
    case "get_facets":
      return facets(args.account as string | null);
    case "rename_account":
      return rename(args.account as string, args.new_name as string);
    case "get_storage":
      return structuredClone(storage);
    case "dismiss_storage": {
      storage = storage.filter((p) => p.code !== args.code);
      setTimeout(() => void emit("storage://changed", storage), 0);
      return null;
    }
    case "mark_read":
      markRead(args.account as string, args.ids as string[]);
      return null;
    case "mark_all_read": {
      const which = args.account as string | null;
      for (const a of accounts) {
        if (which !== null && a.name !== which) continue;
        for (const n of store) if (n.account === a.name) n.read = true;
        announceRead(a.name, [], true);
      }
      return null;
    }
    case "open_notification": {
      const found = store.find((n) => n.account === args.account && n.id === args.id);
      if (!found) return fail({ code: "not_found", message: `no notification ${String(args.id)}` });
      markRead(found.account, [found.id]);
      return null;
    }
    case "list_profiles":
      return scenario.profiles ?? PROFILES;
    case "login": {
      const username = args.username as string;
      const error = scenario.loginErrors?.[username];
      if (error) return fail(error);
      const host = new URL(args.server as string).hostname;
      const view: AccountView = {
        name: (args.name as string | null) ?? `${username}@${host}`,
        server: args.server as string,
        profile: args.profile as string,
        state: "live",
        transport: "websocket",
        detail: "",
        last_event_at: null,
        next_retry_at: null,
        unread: 0,
      };
      const index = accounts.findIndex((a) => a.name === view.name);
      if (index === -1) accounts.push(view);
      else accounts[index] = view;
      return view;
    }
    case "logout": {
      const index = accounts.findIndex((a) => a.name === args.account);
      if (index === -1) return fail({ code: "unknown_account", message: String(args.account) });
      accounts.splice(index, 1);
      store = store.filter((n) => n.account !== args.account);
      return null;
    }
    case "get_settings":
      return { ...settings };
    case "set_settings": {
      const next = args.settings as Settings;
      // As the shell: a shortcut needs a modifier ("A" alone would take the key from every program).
      if (next.shortcut !== "" && !next.shortcut.includes("+")) {
        return fail({ code: "bad_shortcut", message: `\`${next.shortcut}\` needs at least one modifier` });
      }
      saveSettings({ ...next });
      return { ...settings };
    }
    case "get_streams":
      return streams;
    case "get_locale":
      return scenario.locale;
    case "take_pending_focus":
      return null;
    case "get_policy":
      return structuredClone(policy);
    case "set_policy": {
      const next = args.policy as PolicyConfig;
      const text = JSON.stringify(next);
      const problems = Object.entries(scenario.policyProblems ?? {})
        .filter(([needle]) => text.includes(needle))
        .flatMap(([, list]) => list);
      if (problems.length > 0) return fail({ code: "bad_policy", message: "bad policy", problems });
      policy = structuredClone(next);
      return structuredClone(policy);
    }
    case "snooze": {
      const { account, id, when } = args as { account: string; id: string; when: string };
      const found = store.find((n) => n.account === account && n.id === id && !n.read);
      if (!found) return fail({ code: "not_found", message: `no unread notification ${id}` });
      if (when.startsWith("2000-")) return fail({ code: "bad_when", message: `${when} is past` });
      snoozed.add(snoozeKey(account, id));
      const until = new Date(now + 3600_000).toISOString();
      setTimeout(() => {
        void emit("notifications://snoozed", { account, id, until });
        announceUnread(account);
      }, 0);
      setTimeout(() => {
        snoozed.delete(snoozeKey(account, id));
        void emit("notifications://released", { ...found });
        announceUnread(account);
      }, scenario.snoozeReleaseMs ?? 3_600_000);
      return { until };
    }
    case "get_health": {
      if (args.account === null) return structuredClone(healths);
      const found = healthFor(args.account);
      if (!found) return fail({ code: "unknown_account", message: String(args.account) });
      return [structuredClone(found)];
    }
    case "reconnect": {
      const found = healthFor(args.account);
      if (!found) return fail({ code: "unknown_account", message: String(args.account) });
      reconnect(found);
      return null;
    }
    case "test_toast":
      if (args.account !== null && !healthFor(args.account)) {
        return fail({ code: "unknown_account", message: String(args.account) });
      }
      return null;
    case "get_diagnostics":
      return scenario.diagnostics ?? diagnosticsText(healths);
    default:
      return fail({ code: "internal", message: `unknown command ${cmd}` });
  }
}

mockIPC(
  (cmd, args) => {
    const record = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: JSON.parse(JSON.stringify(record)) as Record<string, unknown> });
    const delay = scenario.delays?.[cmd];
    if (!delay) return handle(cmd, record);
    return new Promise((resolve) => setTimeout(() => resolve(handle(cmd, record)), delay));
  },
  { shouldMockEvents: true },
);

// Count live listeners per event: a leak or a double subscription shows up as a count other than 1.
type Invoke = (cmd: string, args: Record<string, unknown>, ...rest: unknown[]) => unknown;
const internals = (window as unknown as { __TAURI_INTERNALS__: { invoke: Invoke } }).__TAURI_INTERNALS__;
const mockedInvoke = internals.invoke;
internals.invoke = (cmd, args, ...rest) => {
  const event = args?.event as string | undefined;
  if (event && cmd === "plugin:event|listen") listeners[event] = (listeners[event] ?? 0) + 1;
  if (event && cmd === "plugin:event|unlisten") listeners[event] = (listeners[event] ?? 0) - 1;
  return mockedInvoke(cmd, args, ...rest);
};

// The clipboard: every write recorded; refused when the scenario says so, else the browser's own.
const clipboard: string[] = [];
if (navigator.clipboard) {
  const write = navigator.clipboard.writeText.bind(navigator.clipboard);
  Object.defineProperty(navigator.clipboard, "writeText", {
    configurable: true,
    value: (text: string) => {
      clipboard.push(text);
      return scenario.clipboard === "deny"
        ? Promise.reject(new DOMException("Write permission denied.", "NotAllowedError"))
        : write(text);
    },
  });
}

window.__aviso = {
  calls,
  listeners,
  cspViolations,
  now,
  emit: (event, payload) => emit(event, resolveTimes(payload)),
  notifications: () => store,
  setHealth: (account, patch) => {
    const found = healthFor(account);
    if (!found) throw new Error(`no health for ${account}`);
    Object.assign(found, resolveTimes(patch));
  },
  clipboard,
};
