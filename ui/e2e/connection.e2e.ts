//! The connection bar in Spanish and English: wording per state and transport, reasons, countdown, live updates.
import { describe, expect, it } from "vitest";
import { translate } from "../src/lib/i18n";
import { account, type Scenario } from "./harness/scenario";
import { emit, LANGS, screenshot, useApp } from "./support";

const { open } = useApp();

describe.each(LANGS)("connection bar ($lang)", ({ lang, locale }) => {
  const t = (key: Parameters<typeof translate>[1], vars?: Record<string, string | number>) =>
    translate(lang, key, vars);
  const scenario: Scenario = {
    locale,
    generate: { count: 30, unread: 6 },
    accounts: [
      account("tienda", { last_event_at: "@-120s" }),
      account("sucursal", {
        state: "polling",
        transport: "polling",
        detail: "no_websocket",
        poll_interval_secs: 15,
        last_event_at: "@-600s",
      }),
      account("outlet", { state: "backoff", transport: null, detail: "dead_peer", next_retry_at: "@+12s" }),
      account("mayorista", {
        state: "stopped",
        transport: null,
        detail: "quota_exceeded",
        last_event_at: null,
      }),
    ],
  };
  const bar = (name: string) => `footer [data-account="${name}"]`;

  it("says state, transport, last event and reason per account, and counts down", async () => {
    const { page } = await open(scenario);
    await page.locator(bar("tienda")).waitFor();
    const status = (name: string) => page.locator(`${bar(name)} .status`).textContent();
    const reason = (name: string) => page.locator(`${bar(name)} .reason`).textContent();

    expect(await status("tienda")).toBe(lang === "es" ? "Conectado (WebSocket)" : "Connected (WebSocket)");
    expect(await page.locator(`${bar("tienda")} .reason`).count()).toBe(0);
    expect(await page.locator(`${bar("tienda")} .meta`).textContent()).toBe(
      lang === "es" ? "Último evento hace 2 min" : "Last event 2 min. ago",
    );

    expect(await status("sucursal")).toBe(
      lang === "es" ? "Sin WebSocket: sondeo cada 15 s" : "No WebSocket: polling every 15 s",
    );
    expect(await reason("sucursal")).toBe(t("reason.no_websocket"));

    const countdown = lang === "es" ? /^Reconectando en (\d+) s$/ : /^Reconnecting in (\d+) s$/;
    const first = Number(countdown.exec((await status("outlet"))!)?.[1]);
    expect(first).toBeGreaterThanOrEqual(10);
    expect(first).toBeLessThanOrEqual(12);
    expect(await reason("outlet")).toBe(t("reason.dead_peer"));
    await expect
      .poll(async () => Number(countdown.exec((await status("outlet"))!)?.[1]), { timeout: 5000 })
      .toBeLessThanOrEqual(first - 2);

    expect(await status("mayorista")).toBe(t("conn.stopped"));
    expect(await reason("mayorista")).toBe(
      lang === "es"
        ? "Problema de conexión (código «quota_exceeded»)."
        : "Connection problem (code “quota_exceeded”).",
    );
    await screenshot(page, `connection-${lang}.png`);
  });

  it("follows connection://state-changed", async () => {
    const { page } = await open(scenario);
    await page.locator(bar("outlet")).waitFor();
    await emit(page, "connection://state-changed", account("outlet", { last_event_at: "@-5s" }));
    await expect
      .poll(() => page.locator(`${bar("outlet")} .status`).textContent())
      .toBe(t("conn.live", { transport: "WebSocket" }));
    expect(await page.locator(`${bar("outlet")} .reason`).count()).toBe(0);
    await emit(
      page,
      "connection://state-changed",
      account("tienda", { state: "connecting", transport: null }),
    );
    await expect
      .poll(() => page.locator(`${bar("tienda")} .status`).textContent())
      .toBe(t("conn.connecting"));
  });

  it("asks to sign in again when a session is refused", async () => {
    const { page } = await open({
      ...scenario,
      accounts: [account("tienda"), account("mayorista", { state: "needs_login", detail: "auth_failed" })],
    });
    // The login view takes over first; "Not now" returns to the panel, where the bar keeps asking.
    await page.getByText(t("login.reauth", { account: "mayorista" })).waitFor();
    await page.getByRole("button", { name: t("login.cancel") }).click();
    await page.locator(bar("mayorista")).waitFor();
    expect(await page.locator(`${bar("mayorista")} .status`).textContent()).toBe(
      lang === "es" ? "Inicia sesión" : "Sign in required",
    );
    expect(await page.locator(`${bar("mayorista")} .reason`).textContent()).toBe(t("reason.auth_failed"));
    await page
      .locator(bar("mayorista"))
      .getByRole("button", { name: t("conn.signIn") })
      .click();
    await page.getByText(t("login.reauth", { account: "mayorista" })).waitFor();
    expect(await page.locator("input[name=server]").inputValue()).toBe("https://mayorista.example.com");
  });
});
