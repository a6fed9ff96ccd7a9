//! Settings in Spanish and English: set_settings with the whole object, live language switch, pause, logout.
import { describe, expect, it } from "vitest";
import { translate, type MessageKey } from "../src/lib/i18n";
import type { Settings } from "../src/lib/types";
import { account, type Scenario } from "./harness/scenario";
import { calls, LANGS, screenshot, useApp } from "./support";

const { open } = useApp();

describe.each(LANGS)("settings ($lang)", ({ lang, locale }) => {
  const t = (key: MessageKey, vars?: Record<string, string | number>) => translate(lang, key, vars);
  const other = lang === "es" ? "en" : "es";
  const scenario: Scenario = {
    locale,
    accounts: [
      account("tienda"),
      account("sucursal", {
        state: "polling",
        transport: "polling",
        detail: "no_websocket",
        poll_interval_secs: 15,
      }),
    ],
    generate: { count: 20, unread: 4 },
  };

  async function openSettings(page: import("playwright-core").Page) {
    await page.getByRole("button", { name: t("panel.settings") }).click();
    await page.getByRole("heading", { name: t("settings.title") }).waitFor();
  }

  it("lists accounts and current settings", async () => {
    const { page } = await open(scenario);
    await openSettings(page);
    const accounts = await page.locator(".account .name").allTextContents();
    expect(accounts).toEqual(["tienda", "sucursal"]);
    expect(await page.getByRole("switch", { name: t("settings.toasts") }).isChecked()).toBe(true);
    expect(await page.getByRole("switch", { name: t("settings.sound") }).isChecked()).toBe(false);
    expect(await page.getByRole("switch", { name: t("settings.autostart") }).isChecked()).toBe(true);
    expect(await page.locator("select[name=language]").inputValue()).toBe("auto");
    expect(await page.locator("select[name=language] option[value=auto]").textContent()).toBe(
      t("settings.languageAuto", { language: t(`lang.${lang}`) }),
    );
    await screenshot(page, `settings-${lang}.png`);
  });

  it("saves toggles with set_settings(settings) holding every field", async () => {
    const { page } = await open(scenario);
    await openSettings(page);
    await page.getByRole("switch", { name: t("settings.sound") }).check();
    await page.getByRole("switch", { name: t("settings.toasts") }).uncheck();
    await expect.poll(async () => (await calls(page, "set_settings")).length).toBe(2);
    const [first, second] = await calls(page, "set_settings");
    expect(first!.args).toEqual({
      settings: {
        language: "auto",
        toasts: true,
        sound: true,
        autostart: true,
        paused_until: null,
        shortcut: "CommandOrControl+Alt+Shift+A",
      },
    });
    expect(second!.args).toEqual({
      settings: {
        language: "auto",
        toasts: false,
        sound: true,
        autostart: true,
        paused_until: null,
        shortcut: "CommandOrControl+Alt+Shift+A",
      },
    });
    expect(await page.getByRole("switch", { name: t("settings.toasts") }).isChecked()).toBe(false);
  });

  it("switches the language live, and back to the OS language with auto", async () => {
    const { page } = await open(scenario);
    await openSettings(page);
    await page.locator("select[name=language]").selectOption(other);
    await page.getByRole("heading", { name: translate(other, "settings.title") }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe(other);
    expect(await page.getByText(translate(other, "settings.accounts")).count()).toBe(1);
    await page.locator("select[name=language]").selectOption("auto");
    await page.getByRole("heading", { name: t("settings.title") }).waitFor();
    const languages = (await calls(page, "set_settings")).map(
      (c) => (c.args.settings as { language: string }).language,
    );
    expect(languages).toEqual([other, "auto"]);
    await page.getByRole("button", { name: t("settings.back") }).click();
    await page.getByRole("tab", { name: t("tabs.all") }).waitFor();
  });

  it("pauses notifications for one hour and resumes", async () => {
    const { page } = await open(scenario);
    await openSettings(page);
    const before = Date.now();
    await page.getByRole("button", { name: t("settings.pause") }).click();
    await expect.poll(async () => (await calls(page, "set_settings")).length).toBe(1);
    const saved = (await calls(page, "set_settings"))[0]!.args.settings as Settings;
    const until = Date.parse(saved.paused_until!);
    expect(until - before).toBeGreaterThan(3600_000 - 5000);
    expect(until - before).toBeLessThan(3600_000 + 5000);
    const time = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" }).format(until);
    await page.getByText(t("settings.pausedUntil", { time })).waitFor();
    await page.getByRole("button", { name: t("settings.back") }).click();
    await page.getByText(t("panel.paused", { time })).waitFor();
    await page.getByRole("button", { name: t("panel.resume") }).click();
    await expect
      .poll(async () => (await calls(page, "set_settings")).at(-1)?.args)
      .toEqual({
        settings: {
          language: "auto",
          toasts: true,
          sound: false,
          autostart: true,
          paused_until: null,
          shortcut: "CommandOrControl+Alt+Shift+A",
        },
      });
    await expect.poll(() => page.getByText(t("panel.paused", { time })).count()).toBe(0);
  });

  it("saves the global shortcut, and says why one cannot be used", async () => {
    const { page } = await open(scenario);
    await openSettings(page);
    const field = page.getByRole("textbox", { name: t("settings.shortcut") });
    expect(await field.inputValue()).toBe("CommandOrControl+Alt+Shift+A");
    await field.fill("Ctrl+Alt+N");
    await field.press("Enter");
    await expect
      .poll(async () => ((await calls(page, "set_settings")).at(-1)?.args.settings as Settings)?.shortcut)
      .toBe("Ctrl+Alt+N");
    await field.fill("N");
    await field.press("Enter");
    await page
      .getByRole("alert")
      .filter({ hasText: t("error.bad_shortcut") })
      .waitFor();
    // The refused one is not kept: the field shows the saved shortcut again.
    expect(await field.inputValue()).toBe("Ctrl+Alt+N");
  });

  it("logs an account out with logout(account)", async () => {
    const { page } = await open(scenario);
    await openSettings(page);
    await page.getByRole("button", { name: t("settings.logoutOf", { account: "sucursal" }) }).click();
    await expect.poll(() => page.locator(".account .name").allTextContents()).toEqual(["tienda"]);
    expect(await calls(page, "logout")).toEqual([{ cmd: "logout", args: { account: "sucursal" } }]);
    await page.getByRole("button", { name: t("settings.addAccount") }).click();
    await page.getByRole("heading", { name: t("login.title") }).waitFor();
    await page.getByRole("button", { name: t("login.cancel") }).click();
    await page.getByRole("tab", { name: t("tabs.all") }).waitFor();
  });
});
