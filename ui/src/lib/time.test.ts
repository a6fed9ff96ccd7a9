import { describe, expect, it } from "vitest";
import { clockTime, formatDuration, relativeTime, secondsUntil } from "./time";

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
