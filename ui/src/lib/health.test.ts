import { describe, expect, it } from "vitest";
import { health } from "../test/fake-backend";
import { translate } from "./i18n";
import { formatBytes, formatRtt, healthCard, reconnectReasons } from "./health";

// Local times, so the test holds in any time zone.
const NOW = new Date(2025, 10, 17, 15, 0, 0).getTime();
const local = (...parts: [number, number, number, number, number]) => new Date(...parts).toISOString();
const spaces = (text: string) => text.replace(/[\u202f\u00a0]/g, " ");

describe("formatBytes", () => {
  it.each([
    [0, "0 B", "0 B"],
    [512, "512 B", "512 B"],
    [1536, "1,5 KB", "1.5 KB"],
    [123_456, "121 KB", "121 KB"],
    [2_400_000, "2,3 MB", "2.3 MB"],
    [52_428_800, "50 MB", "50 MB"],
    [3 * 1024 ** 3, "3 GB", "3 GB"],
  ])("%i bytes", (bytes, es, en) => {
    expect(formatBytes("es-ES", bytes)).toBe(es);
    expect(formatBytes("en-US", bytes)).toBe(en);
  });

  it("groups digits the locale's way", () => {
    expect(formatBytes("en-US", 5115 * 1024 ** 4)).toBe("5,115 TB");
    // Spanish groups from five digits on.
    expect(formatBytes("es-ES", 5115 * 1024 ** 4)).toBe("5115 TB");
    expect(formatBytes("es-ES", 51_150 * 1024 ** 4)).toBe("51.150 TB");
  });
});

describe("formatRtt", () => {
  it("says ms, or — without a measure", () => {
    expect(formatRtt("es", 41.6)).toBe("42 ms");
    expect(formatRtt("en", null)).toBe("—");
  });
});

describe("reconnectReasons", () => {
  it("puts the most frequent first and says each in words, unknown codes named", () => {
    expect(reconnectReasons("es", { timeout: 1, dead_peer: 3, zzz: 1, unreachable: 0 })).toEqual([
      { code: "dead_peer", count: 3, text: translate("es", "reason.dead_peer") },
      { code: "timeout", count: 1, text: translate("es", "reason.timeout") },
      { code: "zzz", count: 1, text: "Problema de conexión (código «zzz»)." },
    ]);
  });
});

describe("healthCard", () => {
  const full = health("tienda", {
    server: "https://tienda.example/",
    state: "live",
    transport: "websocket",
    detail: "catch_up_failed",
    connected_since: local(2025, 10, 17, 10, 32),
    last_event: { at: local(2025, 10, 17, 14, 58), kind: "nueva_compra", title: "Nueva Compra <b>#5</b>" },
    rtt_ms: 42,
    reconnects_today: 3,
    reconnect_reasons: { dead_peer: 2, timeout: 1 },
    last_catch_up: { at: local(2025, 10, 17, 10, 32), items: 4, ok: true },
    queued_marks: 2,
    unread: 12500,
    token_expires_at: local(2025, 10, 18, 9, 5),
    store_bytes: 1536,
  });
  const facts = (card: ReturnType<typeof healthCard>) =>
    Object.fromEntries(card.facts.map((f) => [f.id, spaces(`${f.label}: ${f.value}`)]));

  it("says every fact in Spanish", () => {
    const card = healthCard("es", "es-ES", full, NOW);
    expect(card.line).toBe("Conectado (WebSocket)");
    expect(card.tone).toBe("warn");
    expect(card.reason).toBe(translate("es", "reason.catch_up_failed"));
    expect(facts(card)).toEqual({
      transport: "Transporte: WebSocket",
      since: "Conectado desde: 10:32",
      last_event: "Último evento: 14:58 · nueva_compra · Nueva Compra <b>#5</b>",
      rtt: "Ida y vuelta: 42 ms",
      reconnects: "Reconexiones hoy: 3",
      catch_up: "Última puesta al día: 10:32 · 4 nuevas",
      queued: "Marcas de leído pendientes: 2",
      unread: "Sin leer: 12.500",
      token: "La sesión caduca: 18 nov, 09:05",
      store: "Base de datos local: 1,5 KB",
    });
    expect(card.reasons.map((r) => [r.count, r.text])).toEqual([
      [2, translate("es", "reason.dead_peer")],
      [1, translate("es", "reason.timeout")],
    ]);
    expect(card.counting).toBe(false);
  });

  it("says every fact in English", () => {
    const card = healthCard("en", "en-US", full, NOW);
    expect(facts(card)).toEqual({
      transport: "Transport: WebSocket",
      since: "Connected since: 10:32 AM",
      last_event: "Last event: 02:58 PM · nueva_compra · Nueva Compra <b>#5</b>",
      rtt: "Round trip: 42 ms",
      reconnects: "Reconnects today: 3",
      catch_up: "Last catch-up: 10:32 AM · 4 new",
      queued: "Queued read marks: 2",
      unread: "Unread: 12,500",
      token: "Session expires: Nov 18, 09:05 AM",
      store: "Local database: 1.5 KB",
    });
  });

  it("says — for what is missing, no reason without a detail, and a failed catch-up", () => {
    const card = healthCard(
      "es",
      "es-ES",
      health("outlet", {
        state: "backoff",
        transport: null,
        last_catch_up: { at: local(2025, 10, 16, 22, 0), items: 0, ok: false },
        reconnects_today: 1,
        reconnect_reasons: { unreachable: 1 },
      }),
      NOW,
    );
    expect(card.reason).toBeNull();
    expect(card.line).toBe("Reconectando…");
    const values = Object.fromEntries(card.facts.map((f) => [f.id, f.value]));
    expect(values).toMatchObject({
      transport: "—",
      since: "—",
      last_event: "—",
      rtt: "—",
      token: "—",
      catch_up: "16 nov, 22:00 · falló",
      store: "0 B",
    });
    expect(values.retry).toBeUndefined();
    expect(card.reasons).toEqual([
      { code: "unreachable", count: 1, text: translate("es", "reason.unreachable") },
    ]);
  });

  it("counts down to the next retry and says the reason while not live", () => {
    const card = healthCard(
      "en",
      "en-US",
      health("outlet", {
        state: "backoff",
        transport: null,
        detail: "dead_peer",
        next_retry_at: new Date(NOW + 12_000).toISOString(),
      }),
      NOW,
    );
    expect(card.line).toBe("Reconnecting in 12 s");
    expect(card.reason).toBe(translate("en", "reason.dead_peer"));
    expect(card.facts.find((f) => f.id === "retry")?.value).toBe("in 12 s");
    expect(card.counting).toBe(true);
    const due = healthCard("es", "es-ES", health("x", { next_retry_at: new Date(NOW).toISOString() }), NOW);
    expect(due.facts.find((f) => f.id === "retry")?.value).toBe("ahora");
    expect(due.counting).toBe(false);
  });

  it("says a catch-up that brought one item in the singular", () => {
    const card = healthCard(
      "es",
      "es-ES",
      health("x", { last_catch_up: { at: local(2025, 10, 17, 9, 0), items: 1, ok: true } }),
      NOW,
    );
    expect(card.facts.find((f) => f.id === "catch_up")?.value).toBe("09:00 · 1 nueva");
  });
});
