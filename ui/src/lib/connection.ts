//! What the connection bar says about one account: the status line, its tone, the reason in words, the countdown.
import { translate, type Lang, type MessageKey } from "./i18n";
import { formatDuration, secondsUntil } from "./time";
import type { AccountView } from "./types";

export type Tone = "ok" | "degraded" | "busy" | "warn" | "error" | "idle";

export interface ConnectionStatus {
  tone: Tone;
  /** "Conectado (WebSocket)", "Sin WebSocket: sondeo cada 15 s", "Inicia sesión", "Reconectando en 12 s". */
  line: string;
  /** The `detail` code in words when the account is not live, else null. */
  reason: string | null;
  /** "Reintento en 12 s" when a retry is scheduled outside backoff (which says it in `line`), else null. */
  retry: string | null;
  /** True while a countdown is shown: the bar then ticks every second. */
  counting: boolean;
}

const REASONS: Record<string, MessageKey> = {
  auth_failed: "reason.auth_failed",
  no_websocket: "reason.no_websocket",
  dead_peer: "reason.dead_peer",
  unreachable: "reason.unreachable",
  server_error: "reason.server_error",
  tls: "reason.tls",
  timeout: "reason.timeout",
  forbidden: "reason.forbidden",
  catch_up_failed: "reason.catch_up_failed",
  no_catch_up: "reason.no_catch_up",
  auth_required: "reason.auth_required",
  protocol: "reason.protocol",
};

/** Reasons said even while live: a connection that works but loses notifications. */
const LIVE_PROBLEMS = new Set(["catch_up_failed"]);
/** Said while live, without alarm: a fact about what this server offers. */
const LIVE_NOTES = new Set(["no_catch_up"]);

/** A `detail` code as a sentence; codes we do not know yet are named, not hidden. */
export function reasonText(lang: Lang, detail: string): string | null {
  if (!detail) return null;
  const key = Object.hasOwn(REASONS, detail) ? REASONS[detail] : undefined;
  return key ? translate(lang, key) : translate(lang, "reason.unknown", { code: detail });
}

function transportName(lang: Lang, account: AccountView): string {
  return account.transport ? translate(lang, `transport.${account.transport}`) : "";
}

export function connectionStatus(lang: Lang, account: AccountView, now: number): ConnectionStatus {
  const left = secondsUntil(account.next_retry_at, now);
  const liveProblem = account.state === "live" && LIVE_PROBLEMS.has(account.detail);
  const liveNote = account.state === "live" && LIVE_NOTES.has(account.detail);
  const reason =
    account.state === "live" && !liveProblem && !liveNote ? null : reasonText(lang, account.detail);
  let retry =
    left !== null && left > 0
      ? translate(lang, "conn.nextRetry", { time: formatDuration(lang, left) })
      : null;
  let tone: Tone;
  let line: string;
  switch (account.state) {
    case "live":
      tone = liveProblem ? "warn" : "ok";
      line = account.transport
        ? translate(lang, "conn.live", { transport: transportName(lang, account) })
        : translate(lang, "conn.liveBare");
      retry = null;
      break;
    case "polling":
      tone = "degraded";
      line = account.poll_interval_secs
        ? translate(lang, "conn.pollingEvery", { seconds: account.poll_interval_secs })
        : translate(lang, "conn.polling");
      break;
    case "connecting":
      tone = "busy";
      line = translate(lang, "conn.connecting");
      break;
    case "backoff":
      tone = "warn";
      line =
        left !== null && left > 0
          ? translate(lang, "conn.backoff", { time: formatDuration(lang, left) })
          : translate(lang, "conn.backoffNow");
      retry = null;
      break;
    case "needs_login":
      tone = "error";
      line = translate(lang, "conn.needsLogin");
      retry = null;
      break;
    case "stopped":
      tone = "idle";
      line = translate(lang, "conn.stopped");
      retry = null;
      break;
    default:
      // A state newer than this UI: say what the shell said rather than nothing.
      tone = "idle";
      line = String(account.state);
  }
  return { tone, line, reason, retry, counting: account.state === "backoff" || retry !== null };
}
