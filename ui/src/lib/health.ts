//! What the health view says about one account: the status line, the reason, and each fact in words ("—" when
//! there is nothing to say). Pure: the view renders these strings as text.
import { connectionStatus, reasonText, type Tone } from "./connection";
import { translate, type Lang, type MessageKey, type Vars } from "./i18n";
import { dayTime, formatDuration, secondsUntil } from "./time";
import type { AccountView, Health } from "./types";

/** What a missing value reads as, in every language. */
export const NONE = "—";

export type FactId =
  | "transport"
  | "since"
  | "last_event"
  | "rtt"
  | "reconnects"
  | "retry"
  | "catch_up"
  | "queued"
  | "unread"
  | "token"
  | "store";

export interface Fact {
  id: FactId;
  label: string;
  value: string;
}

export interface ReasonCount {
  code: string;
  count: number;
  /** The code in words (reasonText), e.g. "El servidor dejó de responder; …". */
  text: string;
}

export interface HealthCard {
  account: string;
  server: string;
  tone: Tone;
  /** "Conectado (WebSocket)", "Reconectando en 12 s", … as the connection bar says it. */
  line: string;
  /** `detail` in words whenever it is not empty (live or not: this view is for finding out why). */
  reason: string | null;
  facts: Fact[];
  /** Today's reconnects by reason, most frequent first. */
  reasons: ReasonCount[];
  /** A countdown is shown: the view ticks every second. */
  counting: boolean;
}

const numberFormats = new Map<string, Intl.NumberFormat>();

function numberFormat(locale: string, fractionDigits: number): Intl.NumberFormat {
  const id = `${locale} ${fractionDigits}`;
  let format = numberFormats.get(id);
  if (!format) {
    format = new Intl.NumberFormat(locale, { maximumFractionDigits: fractionDigits });
    numberFormats.set(id, format);
  }
  return format;
}

/** A count in the locale's digits: "12.500" / "12,500". */
export function formatCount(locale: string, value: number): string {
  return numberFormat(locale, 0).format(value);
}

const SIZE_UNITS = ["B", "KB", "MB", "GB", "TB"] as const;

/** "512 B", "1,5 KB", "2,3 MB", "120 MB" (1024-based; one decimal under 10 of a unit). */
export function formatBytes(locale: string, bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit > 0 && value < 10 ? 1 : 0;
  return `${numberFormat(locale, digits).format(value)} ${SIZE_UNITS[unit]}`;
}

/** "42 ms", or "—" without a measure. */
export function formatRtt(locale: string, ms: number | null): string {
  return ms === null ? NONE : `${formatCount(locale, Math.round(ms))} ms`;
}

/** Today's reconnect reasons in words, most frequent first (then by code, so the order holds between polls). */
export function reconnectReasons(lang: Lang, reasons: Record<string, number>): ReasonCount[] {
  return Object.entries(reasons)
    .filter(([, count]) => count > 0)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, count]) => ({ code, count, text: reasonText(lang, code) ?? code }));
}

/** The fields the connection bar's wording needs, from a Health. */
function asView(health: Health): AccountView {
  return {
    name: health.account,
    server: health.server,
    profile: "",
    state: health.state,
    transport: health.transport,
    detail: health.detail,
    last_event_at: health.last_event?.at ?? null,
    next_retry_at: health.next_retry_at,
    unread: health.unread,
  };
}

/** Everything one card says, in `lang` with `locale`'s number and date formats, as of `now`. */
export function healthCard(lang: Lang, locale: string, health: Health, now: number): HealthCard {
  const t = (key: MessageKey, vars?: Vars) => translate(lang, key, vars);
  const when = (time: string | null) => (time ? dayTime(locale, time, now) || NONE : NONE);
  const status = connectionStatus(lang, asView(health), now);
  const facts: Fact[] = [];
  const fact = (id: FactId, label: string, value: string) => facts.push({ id, label, value });

  fact("transport", t("health.transport"), health.transport ? t(`transport.${health.transport}`) : NONE);
  fact("since", t("health.since"), when(health.connected_since));
  const event = health.last_event;
  fact(
    "last_event",
    t("health.lastEvent"),
    event ? [when(event.at), event.kind, event.title].filter((part) => part !== "").join(" · ") : NONE,
  );
  fact("rtt", t("health.rtt"), formatRtt(locale, health.rtt_ms));
  fact("reconnects", t("health.reconnects"), formatCount(locale, health.reconnects_today));
  const left = secondsUntil(health.next_retry_at, now);
  if (left !== null) {
    fact(
      "retry",
      t("health.retry"),
      left > 0 ? t("health.in", { time: formatDuration(lang, left) }) : t("health.now"),
    );
  }
  const catchUp = health.last_catch_up;
  fact(
    "catch_up",
    t("health.catchUp"),
    catchUp
      ? `${when(catchUp.at)} · ${
          catchUp.ok ? t("health.catchUpNew", { count: catchUp.items }) : t("health.catchUpFailed")
        }`
      : NONE,
  );
  fact("queued", t("health.queued"), formatCount(locale, health.queued_marks));
  fact("unread", t("health.unread"), formatCount(locale, health.unread));
  fact("token", t("health.token"), when(health.token_expires_at));
  fact("store", t("health.store"), formatBytes(locale, health.store_bytes));

  return {
    account: health.account,
    server: health.server,
    tone: status.tone,
    line: status.line,
    reason: reasonText(lang, health.detail),
    facts,
    reasons: reconnectReasons(lang, health.reconnect_reasons),
    counting: left !== null && left > 0,
  };
}
