//! The wire types of docs/ipc.md, field for field (snake_case, RFC 3339 times).

export type ConnState = "connecting" | "live" | "polling" | "backoff" | "needs_login" | "stopped";
export type Transport = "websocket" | "socketio" | "sse" | "polling" | null;

export interface Notification {
  account: string;
  id: string;
  kind: string;
  title: string;
  body: string;
  url: string | null;
  created_at: string;
  read: boolean;
  data: unknown;
}

/** A piece of a title or body cut by a search: joined, the pieces give the text back. Render as text. */
export interface Segment {
  text: string;
  match: boolean;
}

/** One answer of `search_notifications`: the notification and where the query matched its title and body. */
export interface SearchHit {
  notification: Notification;
  highlights: { title: Segment[]; body: Segment[] };
}

export interface AccountView {
  name: string;
  server: string;
  profile: string;
  state: ConnState;
  transport: Transport;
  /** Machine-readable reason code, e.g. "auth_failed", "no_websocket", "dead_peer". */
  detail: string;
  last_event_at: string | null;
  next_retry_at: string | null;
  unread: number;
  /**
   * UI extension, not (yet) in docs/ipc.md: the polling period while `state` is "polling", for
   * "Sin WebSocket: sondeo cada 15 s". Optional: without it the bar says "sondeo periódico".
   */
  poll_interval_secs?: number;
}

/** The last notification an account received, as `get_health` reports it. Render as text. */
export interface HealthEvent {
  at: string;
  kind: string;
  title: string;
}

/** The last catch-up of an account: when, how many new notifications it brought, whether it worked. */
export interface HealthCatchUp {
  at: string;
  items: number;
  ok: boolean;
}

/** One account's connection health (`get_health`): what the health view and the diagnostics say. */
export interface Health {
  account: string;
  /** Redacted URL, e.g. "https://tienda.example/". */
  server: string;
  state: ConnState;
  transport: Transport;
  /** Reason code, the same codes as `AccountView.detail`; empty when there is nothing to say. */
  detail: string;
  connected_since: string | null;
  last_event: HealthEvent | null;
  /** The last heartbeat's round trip. */
  rtt_ms: number | null;
  reconnects_today: number;
  /** Reason code → how many of today's reconnects it caused. */
  reconnect_reasons: Record<string, number>;
  next_retry_at: string | null;
  last_catch_up: HealthCatchUp | null;
  /** Mark-reads waiting for the server. */
  queued_marks: number;
  unread: number;
  /** When the session's token expires; never the token itself. */
  token_expires_at: string | null;
  /** Size of the local database in bytes. */
  store_bytes: number;
  as_of: string;
}

export interface ProfileInfo {
  name: string;
  description: string;
}

export type Language = "auto" | "es" | "en";

/** The list's scope as the panel remembers it (`Settings.view`): one store, one kind, grouped by store. */
export interface ViewSettings {
  /** The store whose notifications the list shows; null for every store. */
  account: string | null;
  /** The notification kind the list shows (`nueva_compra`); null for every kind. */
  kind: string | null;
  /** Ordered by store (name ascending), then newest first, with a header before each store. */
  group: boolean;
}

export interface Settings {
  language: Language;
  toasts: boolean;
  sound: boolean;
  autostart: boolean;
  /** "Pause notifications 1 h": toasts stay quiet until then. */
  paused_until: string | null;
  /** The global shortcut that opens and closes the panel ("CommandOrControl+Alt+Shift+A"); "" for none. */
  shortcut: string;
  /** The stores the tray icon's number counts; null for all of them. */
  badge_accounts: string[] | null;
  /** The list's last scope, restored at start. */
  view: ViewSettings;
}

export interface StreamChannel {
  account: string;
  channel: string;
  state: "open" | "polling" | "closed";
  last_update: string | null;
  event: string | null;
  data: unknown;
}

/** A rule, quiet-hours window or silence alarm of `[policy]`, as config.toml holds it (docs/policy.md). */
export type PolicyItem = Record<string, unknown>;

/** `[policy]` of config.toml (`get_policy` / `set_policy`): keys the panel does not edit pass through as they are. */
export interface PolicyConfig {
  burst_max: number;
  burst_window_secs: number;
  gather_secs: number;
  late_after_secs: number;
  time_zone: string;
  time_zones: Record<string, string>;
  quiet_hours: PolicyItem[];
  rules: PolicyItem[];
  silence: PolicyItem[];
  [key: string]: unknown;
}

/** One problem of a rejected `[policy]`: the engine's code and its sentence (item and key named) in each language. */
export interface PolicyProblem {
  code: string;
  message_es: string;
  message_en: string;
}

/** Payload of `notifications://snoozed`: the item leaves the unread list until `until`. */
export interface SnoozedPayload {
  account: string;
  id: string;
  until: string;
}

export const ERROR_CODES = [
  "wrong_credentials",
  "unreachable",
  "no_secret_service",
  "keyring_locked",
  "invalid_url",
  "unknown_profile",
  "unknown_account",
  "not_found",
  "storage",
  "bad_policy",
  "bad_when",
  "bad_shortcut",
  "name_taken",
  "invalid_name",
  "internal",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Every rejected invoke carries this. */
export interface IpcError {
  code: ErrorCode;
  message: string;
  /** `bad_policy`: what the engine found wrong, item by item. */
  problems?: PolicyProblem[];
}

export type Filter = "unread" | "all";

/** Keyset cursor for `list_notifications`: items strictly after this one in the list's order (the last one shown). */
export interface Cursor {
  created_at: string;
  id: string;
  /** The last item's account: with `group`, stores come one after another. */
  account: string;
}

/** What `list_notifications` narrows to, besides the filter: `null` for no restriction. */
export interface ListScope {
  account: string | null;
  kind: string | null;
  /** Store by store (name ascending), newest first within each. */
  group: boolean;
}

/** One line of `get_facets`: an account's or a kind's notifications, unread and in all. */
export interface FacetCount {
  unread: number;
  total: number;
}

/** `get_facets`: every account's counts, and the kinds' counts within the asked account (all when null). */
export interface Facets {
  accounts: (FacetCount & { account: string })[];
  /** Most notifications first, then by kind. */
  kinds: (FacetCount & { kind: string })[];
}

export type StorageCode = "disk_full" | "read_only" | "moved_aside";

/** A problem of the local database (`get_storage`, `storage://changed`): shown until the shell says it is over. */
export interface StorageProblem {
  code: StorageCode;
  since: string;
  /** `moved_aside`: where the damaged database was put. */
  path: string | null;
}

export interface LoginArgs {
  server: string;
  profile: string;
  username: string;
  password: string;
  name: string | null;
}

/** Payload of `notifications://read` (`ids` empty and `all` true for mark-all). */
export interface ReadPayload {
  account: string;
  ids: string[];
  all: boolean;
}

/** Payload of `notifications://unread-changed` (`total` = all accounts). */
export interface UnreadChanged {
  account: string;
  count: number;
  total: number;
}

/** Payload of `panel://focus-item`. */
export interface FocusItem {
  account: string;
  id: string;
}
