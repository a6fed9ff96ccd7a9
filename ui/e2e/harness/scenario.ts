//! What a browser test asks the mocked shell to hold: accounts, settings, profiles, streams, notifications.
import type {
  AccountView,
  IpcError,
  Notification,
  PolicyConfig,
  PolicyProblem,
  ProfileInfo,
  Settings,
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
  /** What `get_policy` answers first (merged over the defaults). */
  policy?: Partial<PolicyConfig>;
  /**
   * `set_policy` rejects with `bad_policy` and these problems when the policy's JSON contains the key's text
   * (the engine's checks are the engine's, tested there; the panel only has to show what it is told).
   */
  policyProblems?: Record<string, PolicyProblem[]>;
  /** Snoozed items come back (`notifications://released`) this many ms after `snooze`. */
  snoozeReleaseMs?: number;
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
