import { describe, expect, it } from "vitest";
import { FakeBackend } from "../../test/fake-backend";
import { Locale } from "./locale.svelte";
import { DEFAULT_VIEW, PAUSE_MS, SettingsState } from "./settings.svelte";

const NOW = Date.UTC(2025, 10, 17, 12, 0, 0);

describe("SettingsState", () => {
  it("sends the whole Settings object to set_settings and keeps the answer", async () => {
    const backend = new FakeBackend();
    const settings = new SettingsState(backend);
    await settings.load();
    await settings.update({ sound: true });
    expect(backend.callsOf("setSettings")).toEqual([
      [
        {
          language: "auto",
          toasts: true,
          sound: true,
          autostart: true,
          paused_until: null,
          shortcut: "CommandOrControl+Alt+Shift+A",
          badge_accounts: null,
          view: { account: null, kind: null, group: false },
        },
      ],
    ]);
    expect(settings.current?.sound).toBe(true);
  });

  it("pauses for one hour and resumes", async () => {
    const backend = new FakeBackend();
    const settings = new SettingsState(backend);
    await settings.load();
    await settings.pauseOneHour(NOW);
    const until = new Date(NOW + PAUSE_MS).toISOString();
    expect(backend.settings.paused_until).toBe(until);
    expect(settings.pausedUntil(NOW)).toBe(until);
    expect(settings.pausedUntil(NOW + PAUSE_MS + 1)).toBeNull();
    await settings.resume();
    expect(backend.settings.paused_until).toBeNull();
  });

  it("saves what the tray icon's number counts: a subset of stores, or all of them with null", async () => {
    const backend = new FakeBackend();
    const settings = new SettingsState(backend);
    await settings.load();
    await settings.setBadgeAccounts(["tienda-centro"]);
    expect(backend.callsOf("setSettings").at(-1)![0]).toMatchObject({
      badge_accounts: ["tienda-centro"],
      view: { account: null, kind: null, group: false },
      toasts: true,
    });
    expect(settings.current?.badge_accounts).toEqual(["tienda-centro"]);
    await settings.setBadgeAccounts(null);
    expect(backend.settings.badge_accounts).toBeNull();
  });

  it("saves the list's view only when it changed, and fills in fields a shell left out", async () => {
    const backend = new FakeBackend();
    const { view: _view, badge_accounts: _badge, ...older } = backend.settings;
    backend.settings = older as typeof backend.settings;
    const settings = new SettingsState(backend);
    await settings.load();
    expect(settings.view).toEqual(DEFAULT_VIEW);
    expect(settings.current?.badge_accounts).toBeNull();
    await settings.saveView({ account: null, kind: null, group: false });
    expect(backend.callsOf("setSettings")).toEqual([]);
    await settings.saveView({ account: "tienda", kind: "stock_bajo", group: true });
    expect(backend.settings.view).toEqual({ account: "tienda", kind: "stock_bajo", group: true });
    expect(settings.view).toEqual({ account: "tienda", kind: "stock_bajo", group: true });
  });

  it("keeps the shell's truth when saving fails", async () => {
    const backend = new FakeBackend();
    const settings = new SettingsState(backend);
    await settings.load();
    backend.failures.setSettings = { code: "storage", message: "read-only" };
    await settings.update({ toasts: false });
    expect(settings.current?.toasts).toBe(true);
    expect(settings.error?.code).toBe("storage");
  });

  it("drives the language: auto follows the OS locale, a choice overrides it, live", async () => {
    const backend = new FakeBackend();
    const settings = new SettingsState(backend);
    await settings.load();
    const locale = new Locale(() => settings.current?.language ?? "auto", "en-US");
    expect(locale.lang).toBe("en");
    locale.os = "es-MX";
    expect(locale.lang).toBe("es");
    expect(locale.intl).toBe("es-MX");
    expect(locale.t("tabs.unread")).toBe("No leídas");
    settings.apply({ ...settings.current!, language: "en" });
    expect(locale.lang).toBe("en");
    expect(locale.intl).toBe("en");
    expect(locale.t("tabs.unread")).toBe("Unread");
    expect(locale.osLang).toBe("es");
  });
});
