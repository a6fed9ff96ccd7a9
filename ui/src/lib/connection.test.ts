import { describe, expect, it } from "vitest";
import { accountView } from "../test/fake-backend";
import { connectionStatus, reasonText } from "./connection";

const NOW = Date.UTC(2025, 10, 17, 12, 0, 0);
const inSeconds = (s: number) => new Date(NOW + s * 1000).toISOString();

describe("connectionStatus", () => {
  it("says live with the transport", () => {
    const es = connectionStatus("es", accountView("a"), NOW);
    expect(es).toMatchObject({ tone: "ok", line: "Conectado (WebSocket)", reason: null, counting: false });
    expect(connectionStatus("en", accountView("a", { transport: "socketio" }), NOW).line).toBe(
      "Connected (Socket.IO)",
    );
  });

  it("says polling, with the period when the shell gives it", () => {
    const polling = accountView("a", { state: "polling", transport: "polling", detail: "no_websocket" });
    expect(connectionStatus("es", { ...polling, poll_interval_secs: 15 }, NOW).line).toBe(
      "Sin WebSocket: sondeo cada 15 s",
    );
    expect(connectionStatus("en", { ...polling, poll_interval_secs: 15 }, NOW).line).toBe(
      "No WebSocket: polling every 15 s",
    );
    const status = connectionStatus("es", polling, NOW);
    expect(status.line).toBe("Sin WebSocket: sondeo periódico");
    expect(status.reason).toMatch(/no acepta WebSocket/);
    expect(status.tone).toBe("degraded");
  });

  it("counts down to the next retry in backoff", () => {
    const backoff = accountView("a", {
      state: "backoff",
      transport: null,
      detail: "dead_peer",
      next_retry_at: inSeconds(12),
    });
    const es = connectionStatus("es", backoff, NOW);
    expect(es).toMatchObject({ line: "Reconectando en 12 s", tone: "warn", counting: true });
    expect(es.reason).toMatch(/dejó de responder/);
    expect(connectionStatus("en", backoff, NOW + 5000).line).toBe("Reconnecting in 7 s");
    expect(connectionStatus("es", backoff, NOW + 20_000).line).toBe("Reconectando…");
    expect(connectionStatus("en", { ...backoff, next_retry_at: inSeconds(95) }, NOW).line).toBe(
      "Reconnecting in 1 min 35 s",
    );
  });

  it("asks for a login and explains why", () => {
    const status = connectionStatus(
      "es",
      accountView("a", { state: "needs_login", detail: "auth_failed" }),
      NOW,
    );
    expect(status).toMatchObject({ line: "Inicia sesión", tone: "error" });
    expect(status.reason).toMatch(/rechazó la sesión/);
    expect(connectionStatus("en", accountView("a", { state: "needs_login" }), NOW).line).toBe(
      "Sign in required",
    );
  });

  it("shows a scheduled retry outside backoff and says connecting/stopped", () => {
    const polling = accountView("a", {
      state: "polling",
      transport: "polling",
      next_retry_at: inSeconds(30),
    });
    expect(connectionStatus("es", polling, NOW)).toMatchObject({
      retry: "Reintento en 30 s",
      counting: true,
    });
    expect(connectionStatus("en", accountView("a", { state: "connecting" }), NOW).line).toBe("Connecting…");
    expect(connectionStatus("es", accountView("a", { state: "stopped" }), NOW)).toMatchObject({
      line: "Detenido",
      tone: "idle",
    });
  });

  it("hides the reason while live even if a stale detail remains", () => {
    expect(connectionStatus("es", accountView("a", { detail: "dead_peer" }), NOW).reason).toBeNull();
  });

  it("says a catch-up that cannot work even while live, as a warning", () => {
    const status = connectionStatus("en", accountView("a", { detail: "catch_up_failed" }), NOW);
    expect(status.tone).toBe("warn");
    expect(status.reason).toContain("rest.list");
    expect(connectionStatus("es", accountView("a", { detail: "catch_up_failed" }), NOW).reason).toContain(
      "no se podrá recuperar",
    );
  });
});

describe("no_catch_up", () => {
  it("is said while live, calmly, in both languages", () => {
    const en = connectionStatus("en", accountView("a", { detail: "no_catch_up" }), NOW);
    expect(en.tone).toBe("ok");
    expect(en.reason).toContain("cannot be recovered");
    const es = connectionStatus("es", accountView("a", { detail: "no_catch_up" }), NOW);
    expect(es.reason).toContain("no se podrá recuperar");
  });
});

describe("reasonText", () => {
  it.each([
    "auth_failed",
    "no_websocket",
    "dead_peer",
    "unreachable",
    "server_error",
    "tls",
    "catch_up_failed",
    "no_catch_up",
    "auth_required",
    "forbidden",
    "protocol",
  ])("translates %s in both languages", (code) => {
    const es = reasonText("es", code);
    const en = reasonText("en", code);
    expect(es).toBeTruthy();
    expect(en).toBeTruthy();
    expect(es).not.toBe(en);
    expect(es).not.toContain(code);
  });

  it("names unknown codes generically and says nothing without a code", () => {
    expect(reasonText("es", "quota_exceeded")).toBe("Problema de conexión (código «quota_exceeded»).");
    expect(reasonText("en", "quota_exceeded")).toBe("Connection problem (code “quota_exceeded”).");
    expect(reasonText("en", "")).toBeNull();
    // Object.prototype names are codes like any other, not dictionary hits.
    expect(reasonText("en", "constructor")).toMatch(/^Connection problem/);
  });
});
