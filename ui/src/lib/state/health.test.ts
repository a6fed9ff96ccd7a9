import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeBackend, health } from "../../test/fake-backend";
import type { Health } from "../types";
import { COPIED_MS, HEALTH_POLL_MS, HealthState } from "./health.svelte";

function setup(copy: (text: string) => Promise<void> = () => Promise.resolve()) {
  const backend = new FakeBackend();
  backend.healths = [health("tienda"), health("sucursal", { state: "polling", transport: "polling" })];
  const copied: string[] = [];
  const state = new HealthState(backend, async (text) => {
    await copy(text);
    copied.push(text);
  });
  return { backend, state, copied };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("HealthState", () => {
  it("polls get_health for every account each second while started, and stops with the view", async () => {
    const { backend, state } = setup();
    const stop = state.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(backend.callsOf("getHealth")).toEqual([[null]]);
    expect(state.loaded).toBe(true);
    expect(state.list.map((h) => h.account)).toEqual(["tienda", "sucursal"]);

    backend.healths[0]!.rtt_ms = 87;
    await vi.advanceTimersByTimeAsync(HEALTH_POLL_MS);
    expect(backend.callsOf("getHealth")).toHaveLength(2);
    expect(state.list[0]!.rtt_ms).toBe(87);
    await vi.advanceTimersByTimeAsync(3 * HEALTH_POLL_MS);
    expect(backend.callsOf("getHealth")).toHaveLength(5);

    stop();
    expect(state.loaded).toBe(false);
    expect(state.list).toEqual([]);
    await vi.advanceTimersByTimeAsync(10 * HEALTH_POLL_MS);
    expect(backend.callsOf("getHealth")).toHaveLength(5);
  });

  it("never has two calls in flight: the next one waits for the answer", async () => {
    const { backend, state } = setup();
    let release: (() => void) | undefined;
    let asked = 0;
    const answer = backend.getHealth;
    backend.getHealth = (account) => {
      asked++;
      return new Promise<Health[]>((resolve) => (release = () => resolve(answer(account))));
    };
    const stop = state.start();
    await vi.advanceTimersByTimeAsync(5 * HEALTH_POLL_MS);
    expect(asked).toBe(1);
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(state.loaded).toBe(true);
    // The slow answer came at 5 s: the next call is one period after it, not a burst to catch up.
    await vi.advanceTimersByTimeAsync(HEALTH_POLL_MS - 1);
    expect(asked).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toBe(2);
    stop();
  });

  it("drops an answer that arrives after the view closed", async () => {
    const { backend, state } = setup();
    let release: (() => void) | undefined;
    const answer = backend.getHealth;
    backend.getHealth = (account) =>
      new Promise<Health[]>((resolve) => (release = () => resolve(answer(account))));
    const stop = state.start();
    stop();
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(state.loaded).toBe(false);
    expect(state.list).toEqual([]);
  });

  it("keeps polling through a failure and clears the error with the next answer", async () => {
    const { backend, state } = setup();
    backend.failures.getHealth = { code: "internal", message: "unknown command get_health" };
    const stop = state.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(state.error).toEqual({ code: "internal", message: "unknown command get_health" });
    expect(state.loaded).toBe(false);
    delete backend.failures.getHealth;
    await vi.advanceTimersByTimeAsync(HEALTH_POLL_MS);
    expect(state.error).toBeNull();
    expect(state.loaded).toBe(true);
    stop();
  });

  it("reconnects one account, busy meanwhile, and shows the result at once", async () => {
    const { backend, state } = setup();
    const stop = state.start();
    await vi.advanceTimersByTimeAsync(0);
    const done = state.reconnect("sucursal");
    expect(state.isBusy("reconnect", "sucursal")).toBe(true);
    expect(state.isBusy("reconnect", "tienda")).toBe(false);
    // A second press while busy does not call again.
    await state.reconnect("sucursal");
    backend.healths[1]!.state = "connecting";
    await done;
    expect(backend.callsOf("reconnect")).toEqual([["sucursal"]]);
    expect(state.isBusy("reconnect", "sucursal")).toBe(false);
    expect(state.list[1]!.state).toBe("connecting");
    expect(backend.callsOf("getHealth")).toHaveLength(2);
    stop();
  });

  it("keeps a failed action's error on its account until the next try", async () => {
    const { backend, state } = setup();
    backend.failures.reconnect = { code: "unknown_account", message: "outlet" };
    await state.reconnect("outlet");
    expect(state.actionErrors).toEqual({ outlet: { code: "unknown_account", message: "outlet" } });
    expect(state.isBusy("reconnect", "outlet")).toBe(false);
    delete backend.failures.reconnect;
    await state.testToast("outlet");
    expect(state.actionErrors).toEqual({});
    expect(backend.callsOf("testToast")).toEqual([["outlet"]]);
  });

  it("copies the diagnostics and says so for a moment", async () => {
    const { backend, state, copied } = setup();
    backend.diagnostics = "Aviso 0.1.0\ntienda: live (websocket)";
    const done = state.copyDiagnostics();
    expect(state.copying).toBe(true);
    await done;
    expect(copied).toEqual(["Aviso 0.1.0\ntienda: live (websocket)"]);
    expect(state.copying).toBe(false);
    expect(state.copied).toBe(true);
    expect(state.diagnostics).toBeNull();
    await vi.advanceTimersByTimeAsync(COPIED_MS);
    expect(state.copied).toBe(false);
  });

  it("keeps the text for selecting by hand when the clipboard refuses", async () => {
    const { backend, state } = setup(() => Promise.reject(new DOMException("denied", "NotAllowedError")));
    backend.diagnostics = "Aviso diagnostics text";
    await state.copyDiagnostics();
    expect(state.copied).toBe(false);
    expect(state.diagnostics).toBe("Aviso diagnostics text");
    expect(state.copyError).toBeNull();
  });

  it("reports a get_diagnostics failure", async () => {
    const { backend, state, copied } = setup();
    backend.failures.getDiagnostics = { code: "storage", message: "disk" };
    await state.copyDiagnostics();
    expect(state.copyError).toEqual({ code: "storage", message: "disk" });
    expect(copied).toEqual([]);
    expect(state.copying).toBe(false);
  });
});
