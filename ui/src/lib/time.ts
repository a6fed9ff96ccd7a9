//! Times shown to people: relative ("hace 5 minutos"), countdowns ("12 s"), clock times ("14:30").
import { translate, type Lang } from "./i18n";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Largest unit first; a distance is shown in the first unit it reaches (45 s and up reads as minutes). */
const UNITS: [Intl.RelativeTimeFormatUnit, number, number][] = [
  ["year", 365 * DAY, 365 * DAY],
  ["month", 30 * DAY, 30 * DAY],
  ["week", 7 * DAY, 7 * DAY],
  ["day", DAY, DAY],
  ["hour", HOUR, HOUR],
  ["minute", MINUTE, 45 * SECOND],
];

export type RelativeStyle = "long" | "short";

const formats = new Map<string, Intl.RelativeTimeFormat>();

function formatFor(
  locale: string,
  style: RelativeStyle,
  numeric: "auto" | "always",
): Intl.RelativeTimeFormat {
  const id = `${locale} ${style} ${numeric}`;
  let format = formats.get(id);
  if (!format) formats.set(id, (format = new Intl.RelativeTimeFormat(locale, { numeric, style })));
  return format;
}

/**
 * Words only where they read well: "ahora", "ayer". Short styles turn "last week" into "sem. ant.", so
 * weeks, months and years stay numbers ("hace 1 sem.").
 */
function numericFor(unit: Intl.RelativeTimeFormatUnit): "auto" | "always" {
  return unit === "second" || unit === "day" ? "auto" : "always";
}

export function parseTime(time: string | null | undefined): number | null {
  if (!time) return null;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * "hace 5 minutos" / "5 minutes ago" (or "en 3 minutos" for the future), "ahora" / "now" under 45 s;
 * `short` gives "hace 5 min" / "5 min. ago" for tight rows. Months and years are calendar-approximate,
 * which is all a glance at a list needs.
 */
export function relativeTime(
  locale: string,
  time: string,
  now: number,
  style: RelativeStyle = "long",
): string {
  const at = parseTime(time);
  if (at === null) return "";
  const delta = at - now;
  const distance = Math.abs(delta);
  for (const [unit, size, threshold] of UNITS) {
    if (distance >= threshold) {
      const value = Math.max(1, Math.round(distance / size));
      return formatFor(locale, style, numericFor(unit)).format(delta < 0 ? -value : value, unit);
    }
  }
  return formatFor(locale, style, "auto").format(0, "second");
}

/** RFC 3339 (UTC) for an epoch time in ms, the wire format of every time in docs/ipc.md. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Whole seconds left until `time` (never negative), or null without a valid time. */
export function secondsUntil(time: string | null, now: number): number | null {
  const at = parseTime(time);
  return at === null ? null : Math.max(0, Math.ceil((at - now) / SECOND));
}

/** "12 s", "2 min 05 s". */
export function formatDuration(lang: Lang, seconds: number): string {
  if (seconds < 60) return translate(lang, "duration.seconds", { seconds: String(seconds) });
  const minutes = Math.floor(seconds / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  return translate(lang, "duration.minutes", { minutes: String(minutes), seconds: rest });
}

/** "14:30" in the user's locale. */
export function clockTime(locale: string, time: string): string {
  const at = parseTime(time);
  if (at === null) return "";
  return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" }).format(at);
}

/** Full date and time, for a tooltip next to a relative time. */
export function fullTime(locale: string, time: string): string {
  const at = parseTime(time);
  if (at === null) return "";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(at);
}

const dayTimeFormats = new Map<string, Intl.DateTimeFormat>();

function dayTimeFormat(locale: string, withYear: boolean): Intl.DateTimeFormat {
  const id = `${locale} ${withYear}`;
  let format = dayTimeFormats.get(id);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, {
      ...(withYear ? { year: "numeric" } : {}),
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });
    dayTimeFormats.set(id, format);
  }
  return format;
}

/**
 * A moment that may be today or not, in local time: "10:32" today, "17 nov, 09:05" another day this year,
 * "17 nov 2024, 09:05" another year. For "Conectado desde 10:32" and the like.
 */
export function dayTime(locale: string, time: string, now: number): string {
  const at = parseTime(time);
  if (at === null) return "";
  const when = new Date(at);
  const today = new Date(now);
  const sameYear = when.getFullYear() === today.getFullYear();
  if (sameYear && when.getMonth() === today.getMonth() && when.getDate() === today.getDate()) {
    return clockTime(locale, time);
  }
  return dayTimeFormat(locale, !sameYear).format(at);
}
