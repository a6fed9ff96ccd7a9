//! What a browser test asks the mocked shell to hold: accounts, settings, profiles, streams, notifications.
import type {
  AccountView,
  Health,
  IpcError,
  Notification,
  PolicyConfig,
  PolicyProblem,
  ProfileInfo,
  Settings,
  StorageProblem,
  StreamChannel,
} from "../../src/lib/types";

/**
 * A scenario crosses into the page as JSON. Times may be written relative to the page's clock as
 * "@-120s" / "@+12s", so countdowns and "hace 2 minutos" hold whenever the test runs.
 */
export interface Scenario {
  /** What `get_locale` answers ("es-ES", "en-US"). */
  locale: string;
  settings?: Partial<Settings>;
  accounts: AccountView[];
  profiles?: ProfileInfo[];
  streams?: StreamChannel[];
  /** Generated SmartSales-like notifications, spread over the accounts, newest first. */
  generate?: { count: number; unread: number | "every-third" };
  /** Notifications added as given (after relative times are resolved). */
  notifications?: Notification[];
  /** `login` fails with this error for this username. */
  loginErrors?: Record<string, IpcError>;
  /** Commands that fail with this error. */
  failures?: Record<string, IpcError>;
  /** Commands that answer this many ms late (to see a button busy). */
  delays?: Record<string, number>;
  /** What `get_policy` answers first (merged over the defaults). */
  policy?: Partial<PolicyConfig>;
  /**
   * `set_policy` rejects with `bad_policy` and these problems when the policy's JSON contains the key's text
   * (the engine's checks are the engine's, tested there; the panel only has to show what it is told).
   */
  policyProblems?: Record<string, PolicyProblem[]>;
  /** Snoozed items come back (`notifications://released`) this many ms after `snooze`. */
  snoozeReleaseMs?: number;
  /** What `get_health` answers (times may be relative); without it, one healthy entry per account. */
  health?: Health[];
  /** What `get_diagnostics` answers; without it, the health as plain text (as the shell writes it). */
  diagnostics?: string;
  /** "deny": `navigator.clipboard.writeText` rejects, as a webview that refuses the clipboard does. */
  clipboard?: "deny";
  /** After `reconnect`, the account is "connecting" this long, then live again (default 400 ms). */
  reconnectMs?: number;
  /** What `get_storage` answers first (times may be relative). */
  storage?: StorageProblem[];
}

export const PROFILES: ProfileInfo[] = [
  { name: "smartsales", description: "SmartSales365 (Django Channels + REST)" },
  { name: "generic-polling", description: "Cualquier API REST, solo sondeo" },
];

export function account(name: string, patch: Partial<AccountView> = {}): AccountView {
  return {
    name,
    server: `https://${name}.example.com`,
    profile: "smartsales",
    state: "live",
    transport: "websocket",
    detail: "",
    last_event_at: "@-120s",
    next_retry_at: null,
    unread: 0,
    ...patch,
  };
}

export function health(name: string, patch: Partial<Health> = {}): Health {
  return {
    account: name,
    server: `https://${name}.example.com/`,
    state: "live",
    transport: "websocket",
    detail: "",
    connected_since: "@-3600s",
    last_event: null,
    rtt_ms: 40,
    reconnects_today: 0,
    reconnect_reasons: {},
    next_retry_at: null,
    last_catch_up: null,
    queued_marks: 0,
    unread: 0,
    token_expires_at: null,
    store_bytes: 65_536,
    as_of: "@+0s",
    ...patch,
  };
}
