//! Settings in Spanish and English: set_settings with the whole object, live language switch, pause, the stores
//! (rename in place with the engine's refusals in words, remove after a confirmation, add), and what the tray
//! icon's number counts.
import type { Page } from "playwright-core";
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
        badge_accounts: null,
        view: { account: null, kind: null, group: false },
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
        badge_accounts: null,
        view: { account: null, kind: null, group: false },
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
    expect(await page.getByText(translate(other, "settings.accounts"), { exact: true }).count()).toBe(1);
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
          badge_accounts: null,
          view: { account: null, kind: null, group: false },
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

  it("removes a store with logout(account) once confirmed; Esc or the other button keeps it", async () => {
    const { page } = await open(scenario);
    await openSettings(page);
    const remove = page.getByRole("button", { name: t("settings.removeOf", { account: "sucursal" }) });
    await remove.click();
    await page.getByText(t("settings.removeConfirm", { account: "sucursal" })).waitFor();
    // The safe choice has the focus; Esc keeps the store (and stays in settings).
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe(
      t("settings.removeCancel"),
    );
    await page.keyboard.press("Escape");
    await expect
      .poll(() => page.getByText(t("settings.removeConfirm", { account: "sucursal" })).count())
      .toBe(0);
    expect(await page.locator(".app").getAttribute("data-screen")).toBe("settings");
    await remove.click();
    await page.getByRole("button", { name: t("settings.removeCancel") }).click();
    expect(await calls(page, "logout")).toEqual([]);

    await remove.click();
    await page.getByRole("button", { name: t("settings.removeYes") }).click();
    await expect.poll(() => page.locator(".account .name").allTextContents()).toEqual(["tienda"]);
    expect(await calls(page, "logout")).toEqual([{ cmd: "logout", args: { account: "sucursal" } }]);
    // One store left: nothing to choose for the icon's number.
    expect(await page.getByText(t("settings.badgeLabel")).count()).toBe(0);
    await page.getByRole("button", { name: t("settings.addAccount") }).click();
    await page.getByRole("heading", { name: t("login.title") }).waitFor();
    await page.getByRole("button", { name: t("login.cancel") }).click();
    await page.getByRole("tab", { name: t("tabs.all") }).waitFor();
  });
});

describe.each(LANGS)("stores in settings ($lang)", ({ lang, locale }) => {
  const t = (key: MessageKey, vars?: Record<string, string | number>) => translate(lang, key, vars);
  const scenario: Scenario = {
    locale,
    accounts: [account("tienda"), account("sucursal")],
    generate: { count: 20, unread: 6 },
    settings: { view: { account: "sucursal", kind: null, group: false } },
  };
  const names = (page: Page) => page.locator(".account .name").allTextContents();

  async function openSettings(page: Page) {
    await page.locator(".notification").first().waitFor();
    await page.getByRole("button", { name: t("panel.settings") }).click();
    await page.getByRole("heading", { name: t("settings.title") }).waitFor();
  }

  it("renames a store in place: Enter saves, then the list, chips and settings use the new name", async () => {
    const { page } = await open(scenario);
    await page.locator(".notification").first().waitFor();
    // The list is narrowed to sucursal (saved last time).
    expect(
      await page.locator('[data-filter=stores] button[data-store="sucursal"]').getAttribute("aria-pressed"),
    ).toBe("true");
    await openSettings(page);
    await page.getByRole("button", { name: t("settings.renameOf", { account: "sucursal" }) }).click();
    const field = page.getByRole("textbox", { name: t("settings.newName", { account: "sucursal" }) });
    expect(await field.inputValue()).toBe("sucursal");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("account-name");
    await field.fill("  sucursal-sur ");
    await field.press("Enter");
    await expect.poll(() => names(page)).toEqual(["tienda", "sucursal-sur"]);
    expect(await calls(page, "rename_account")).toEqual([
      { cmd: "rename_account", args: { account: "sucursal", new_name: "sucursal-sur" } },
    ]);
    await page.getByText(t("settings.renamed", { old: "sucursal", account: "sucursal-sur" })).waitFor();
    // The focus stays on the renamed store's row.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute("aria-label")))
      .toBe(t("settings.renameOf", { account: "sucursal-sur" }));
    // Everything that names it was read again.
    for (const cmd of ["get_accounts", "get_facets", "get_settings", "list_notifications"]) {
      expect((await calls(page, cmd)).length, cmd).toBeGreaterThanOrEqual(2);
    }
    expect((await calls(page, "get_facets")).at(-1)?.args).toEqual({ account: "sucursal-sur" });
    await screenshot(page, `settings-stores-${lang}.png`);

    await page.getByRole("button", { name: t("settings.back") }).click();
    const chip = page.locator('[data-filter=stores] button[data-store="sucursal-sur"]');
    await expect.poll(() => chip.getAttribute("aria-pressed")).toBe("true");
    expect(await page.locator('[data-filter=stores] button[data-store="sucursal"]').count()).toBe(0);
    // Its history stayed, under the new name.
    const shown = await page
      .locator(".notification")
      .evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute("data-account")))]);
    expect(shown).toEqual(["sucursal-sur"]);
    expect(await page.locator("footer [data-account='sucursal-sur']").count()).toBe(1);
  });

  it("says a taken or invalid name in words and keeps the field; Esc cancels", async () => {
    const { page } = await open(scenario);
    await openSettings(page);
    await page.getByRole("button", { name: t("settings.renameOf", { account: "tienda" }) }).click();
    const field = page.getByRole("textbox", { name: t("settings.newName", { account: "tienda" }) });
    await field.fill("sucursal");
    const row = page.locator('.account[data-account="tienda"]');
    await row.getByRole("button", { name: t("settings.renameSave") }).click();
    const alert = page.getByRole("alert").filter({ hasText: t("error.name_taken") });
    await alert.waitFor();
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    expect(await field.inputValue()).toBe("sucursal");
    expect(await names(page)).toEqual(["tienda", "sucursal"]);
    await screenshot(page, `settings-rename-error-${lang}.png`);

    await field.fill("t".repeat(65));
    await field.press("Enter");
    await page
      .getByRole("alert")
      .filter({ hasText: t("error.invalid_name") })
      .waitFor();
    expect((await calls(page, "rename_account")).map((c) => c.args.new_name)).toEqual([
      "sucursal",
      "t".repeat(65),
    ]);

    // Esc leaves the rename (not settings); the focus goes back to its button.
    await field.press("Escape");
    await expect.poll(() => field.count()).toBe(0);
    expect(await page.locator(".app").getAttribute("data-screen")).toBe("settings");
    expect(await page.getByRole("alert").count()).toBe(0);
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute("aria-label")))
      .toBe(t("settings.renameOf", { account: "tienda" }));
    // Cancel does too, and the same name is no rename.
    await page.getByRole("button", { name: t("settings.renameOf", { account: "tienda" }) }).click();
    await row.getByRole("button", { name: t("settings.renameCancel") }).click();
    await page.getByRole("button", { name: t("settings.renameOf", { account: "tienda" }) }).click();
    await page.getByRole("textbox", { name: t("settings.newName", { account: "tienda" }) }).press("Enter");
    await expect.poll(() => field.count()).toBe(0);
    expect(await calls(page, "rename_account")).toHaveLength(2);
  });

  it("saves what the icon's number counts: every store (null) or the chosen ones", async () => {
    const { page } = await open(scenario);
    await openSettings(page);
    const badge = () =>
      calls(page, "set_settings").then(
        (c) => (c.at(-1)?.args.settings as Settings | undefined)?.badge_accounts,
      );
    const group = page.getByRole("group", { name: t("settings.badgeLabel") });
    const all = group.getByRole("radio", { name: t("settings.badgeAll") });
    const some = group.getByRole("radio", { name: t("settings.badgeSome") });
    expect(await all.isChecked()).toBe(true);
    expect(await group.getByRole("checkbox").count()).toBe(0);
    await some.check();
    await expect.poll(badge).toEqual(["tienda", "sucursal"]);
    const stores = page.getByRole("group", { name: t("settings.badgeStores") });
    await stores.getByRole("checkbox", { name: "tienda" }).uncheck();
    await expect.poll(badge).toEqual(["sucursal"]);
    expect(await stores.getByRole("checkbox", { name: "sucursal" }).isChecked()).toBe(true);
    expect(await stores.getByRole("checkbox", { name: "tienda" }).isChecked()).toBe(false);
    await screenshot(page, `settings-badge-${lang}.png`);
    // Every other setting went back as it was.
    const saved = (await calls(page, "set_settings")).at(-1)?.args.settings as Settings;
    expect(saved).toMatchObject({
      toasts: true,
      sound: false,
      view: { account: "sucursal", kind: null, group: false },
    });

    // Kept over a reload (the fake shell keeps its settings, as config.toml does).
    await page.reload();
    await openSettings(page);
    expect(await some.isChecked()).toBe(true);
    expect(await stores.getByRole("checkbox", { name: "tienda" }).isChecked()).toBe(false);
    await all.check();
    await expect.poll(badge).toBeNull();
    expect(await page.getByRole("group", { name: t("settings.badgeStores") }).count()).toBe(0);
  });
});
