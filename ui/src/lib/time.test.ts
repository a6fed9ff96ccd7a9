import { describe, expect, it } from "vitest";
import { clockTime, dayTime, formatDuration, relativeTime, secondsUntil } from "./time";

const NOW = Date.UTC(2025, 10, 17, 12, 0, 0);
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;

describe("relativeTime", () => {
  it.each([
    [10 * S, "ahora", "now"],
    [44 * S, "ahora", "now"],
    [50 * S, "hace 1 minuto", "1 minute ago"],
    [5 * MIN, "hace 5 minutos", "5 minutes ago"],
    [3 * H, "hace 3 horas", "3 hours ago"],
    [1 * D, "ayer", "yesterday"],
    [3 * D, "hace 3 días", "3 days ago"],
    [14 * D, "hace 2 semanas", "2 weeks ago"],
    [60 * D, "hace 2 meses", "2 months ago"],
    [800 * D, "hace 2 años", "2 years ago"],
  ])("%i ms ago", (ms, es, en) => {
    expect(relativeTime("es", ago(ms), NOW)).toBe(es);
    expect(relativeTime("en", ago(ms), NOW)).toBe(en);
  });

  it("has a short style for rows and handles the future and bad input", () => {
    expect(relativeTime("es-ES", ago(15 * MIN), NOW, "short")).toBe("hace 15 min");
    expect(relativeTime("en-US", ago(15 * MIN), NOW, "short")).toBe("15 min. ago");
    expect(relativeTime("es", ago(8 * D), NOW, "short")).toBe("hace 1 sem.");
    expect(relativeTime("en", ago(8 * D), NOW)).toBe("1 week ago");
    expect(relativeTime("es", ago(1 * D), NOW, "short")).toBe("ayer");
    expect(relativeTime("es", ago(-3 * MIN), NOW)).toBe("dentro de 3 minutos");
    expect(relativeTime("en", "yesterday-ish", NOW)).toBe("");
  });
});

describe("countdowns", () => {
  it("counts whole seconds up, never below zero", () => {
    expect(secondsUntil(new Date(NOW + 11_200).toISOString(), NOW)).toBe(12);
    expect(secondsUntil(new Date(NOW - 5000).toISOString(), NOW)).toBe(0);
    expect(secondsUntil(null, NOW)).toBeNull();
  });

  it("formats seconds and minutes", () => {
    expect(formatDuration("es", 12)).toBe("12 s");
    expect(formatDuration("en", 125)).toBe("2 min 05 s");
  });

  it("shows clock times in the locale", () => {
    const time = new Date(2025, 10, 17, 14, 30).toISOString();
    expect(clockTime("es-ES", time)).toBe("14:30");
    expect(clockTime("en-US", time)).toMatch(/^02:30\sPM$/);
  });
});

describe("dayTime", () => {
  // Local times, so the test holds in any time zone.
  const now = new Date(2025, 10, 17, 15, 0).getTime();
  const at = (...parts: [number, number, number, number, number]) => new Date(...parts).toISOString();
  const spaces = (text: string) => text.replace(/[\u202f\u00a0]/g, " ");

  it("says only the clock time for today", () => {
    expect(dayTime("es-ES", at(2025, 10, 17, 10, 32), now)).toBe("10:32");
    expect(dayTime("es-ES", at(2025, 10, 17, 0, 5), now)).toBe("00:05");
    expect(spaces(dayTime("en-US", at(2025, 10, 17, 10, 32), now))).toBe("10:32 AM");
  });

  it("adds the date for another day, and the year for another year", () => {
    expect(dayTime("es-ES", at(2025, 10, 16, 23, 59), now)).toBe("16 nov, 23:59");
    expect(dayTime("es-ES", at(2025, 10, 18, 9, 5), now)).toBe("18 nov, 09:05");
    expect(spaces(dayTime("en-US", at(2025, 10, 16, 23, 59), now))).toBe("Nov 16, 11:59 PM");
    expect(dayTime("es-ES", at(2024, 10, 17, 10, 32), now)).toBe("17 nov 2024, 10:32");
    expect(spaces(dayTime("en-US", at(2026, 0, 2, 9, 5), now))).toBe("Jan 2, 2026, 09:05 AM");
  });

  it("is empty for a time it cannot read", () => {
    expect(dayTime("es", "soon", now)).toBe("");
  });
});
