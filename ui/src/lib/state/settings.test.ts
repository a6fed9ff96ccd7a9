import { describe, expect, it } from "vitest";
import { FakeBackend } from "../../test/fake-backend";
import { Locale } from "./locale.svelte";
import { PAUSE_MS, SettingsState } from "./settings.svelte";

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
