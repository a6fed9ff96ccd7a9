//! Live streams in Spanish and English: hidden without channels; rows with state, update time and value as text.
import { describe, expect, it } from "vitest";
import { translate, type MessageKey } from "../src/lib/i18n";
import type { StreamChannel } from "../src/lib/types";
import { account, type Scenario } from "./harness/scenario";
import { emit, LANGS, screenshot, useApp } from "./support";

const { open } = useApp();

const STREAMS: StreamChannel[] = [
  {
    account: "tienda",
    channel: "ventas/hoy",
    state: "open",
    last_update: "@-20s",
    event: "update",
    data: { total: 1234.5, pedidos: 17 },
  },
  {
    account: "tienda",
    channel: "stock/alertas",
    state: "polling",
    last_update: "@-300s",
    event: "snapshot",
    data: [{ sku: "AX-200", stock: 3 }],
  },
  { account: "tienda", channel: "caja/turno", state: "closed", last_update: null, event: null, data: null },
];

describe.each(LANGS)("live streams ($lang)", ({ lang, locale }) => {
  const t = (key: MessageKey, vars?: Record<string, string | number>) => translate(lang, key, vars);
  const scenario = (streams: StreamChannel[]): Scenario => ({
    locale,
    accounts: [account("tienda")],
    generate: { count: 10, unread: 3 },
    streams,
  });

  it("has no Live tab when get_streams returns no channel", async () => {
    const { page } = await open(scenario([]));
    await page.getByRole("tab", { name: t("tabs.all") }).waitFor();
    expect(await page.getByRole("tab").count()).toBe(2);
    expect(await page.getByRole("tab", { name: t("tabs.live") }).count()).toBe(0);
  });

  it("shows one row per channel with state, update time and the value as compact text", async () => {
    const { page } = await open(scenario(STREAMS));
    await page.getByRole("tab", { name: t("tabs.live") }).click();
    const rows = page.locator(".channel");
    await rows.first().waitFor();
    expect(await rows.locator(".name").allTextContents()).toEqual([
      "ventas/hoy",
      "stock/alertas",
      "caja/turno",
    ]);
    expect(await rows.locator(".state").allTextContents()).toEqual([
      t("streams.state.open"),
      t("streams.state.polling"),
      t("streams.state.closed"),
    ]);
    expect(await rows.nth(0).locator(".value").textContent()).toBe('{"total":1234.5,"pedidos":17}');
    expect(await rows.nth(1).locator(".value").textContent()).toBe('[{"sku":"AX-200","stock":3}]');
    expect(await rows.nth(2).locator(".meta").textContent()).toContain(t("streams.never"));
    expect(await rows.nth(0).locator("time").textContent()).toBe(
      t("streams.updated", { time: lang === "es" ? "ahora" : "now" }),
    );
    await screenshot(page, `streams-${lang}.png`);
  });

  it("updates a row from streams://updated, as text", async () => {
    const { page } = await open(scenario(STREAMS));
    await page.getByRole("tab", { name: t("tabs.live") }).click();
    await emit(page, "streams://updated", {
      ...STREAMS[0],
      last_update: "@-1s",
      data: { total: 1300, nota: "<img src=x onerror=alert(1)>" },
    });
    const value = page.locator('.channel[data-channel="ventas/hoy"] .value');
    await expect.poll(() => value.textContent()).toBe('{"total":1300,"nota":"<img src=x onerror=alert(1)>"}');
    expect(await page.evaluate(() => document.images.length)).toBe(0);
    expect(await page.locator(".channel").count()).toBe(3);
  });
});
