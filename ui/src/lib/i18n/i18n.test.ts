import { describe, expect, it } from "vitest";
import { dictionaries, languageFor, LANGS, normalizeLocale, translate } from ".";

const slots = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const texts = (message: unknown): string[] =>
  typeof message === "string" ? [message] : Object.values(message as Record<string, string>);

describe("dictionaries", () => {
  const es = dictionaries.es as Record<string, unknown>;

  it("have the same keys in every language", () => {
    for (const lang of LANGS) expect(Object.keys(dictionaries[lang]).sort()).toEqual(Object.keys(es).sort());
  });

  it("use the same {slots} and plural-ness in every language, and no message is empty", () => {
    for (const lang of LANGS) {
      const dict = dictionaries[lang] as Record<string, unknown>;
      for (const [key, reference] of Object.entries(es)) {
        const message = dict[key];
        expect(typeof message, `${lang} ${key}`).toBe(typeof reference);
        for (const text of texts(message)) {
          expect(text.trim(), `${lang} ${key}`).not.toBe("");
          expect(slots(text), `${lang} ${key}`).toEqual(slots(texts(reference)[0]!));
        }
      }
    }
  });

  it("are really translated: the English UI is not Spanish", () => {
    const same = Object.keys(es).filter(
      (key) => JSON.stringify(es[key]) === JSON.stringify((dictionaries.en as Record<string, unknown>)[key]),
    );
    // Names and units are the same in both languages; nothing else may be.
    expect(same.sort()).toEqual(
      [
        "app.name",
        "duration.minutes",
        "duration.seconds",
        "lang.en",
        "lang.es",
        "transport.socketio",
        "transport.sse",
        "transport.websocket",
      ].sort(),
    );
  });
});

describe("translate", () => {
  it("fills slots and leaves unknown ones visible", () => {
    expect(translate("es", "conn.live", { transport: "WebSocket" })).toBe("Conectado (WebSocket)");
    expect(translate("en", "conn.live", { transport: "WebSocket" })).toBe("Connected (WebSocket)");
    expect(translate("es", "conn.live")).toBe("Conectado ({transport})");
  });

  it("picks plural forms with Intl.PluralRules and formats numbers per language", () => {
    expect(translate("es", "panel.unreadCount", { count: 1 })).toBe("1 sin leer");
    expect(translate("en", "panel.unreadCount", { count: 1 })).toBe("1 unread");
    expect(translate("es", "panel.unreadCount", { count: 12500 })).toBe("12.500 sin leer");
    expect(translate("en", "panel.unreadCount", { count: 12500 })).toBe("12,500 unread");
    // Spanish has a "many" category for millions; without that form the message falls back to "other".
    expect(translate("es", "panel.unreadCount", { count: 1_000_000 })).toBe("1.000.000 sin leer");
  });
});

describe("languageFor (the OS locale behind 'auto')", () => {
  it.each([
    ["es-ES", "es"],
    ["es-MX", "es"],
    ["es_AR.UTF-8", "es"],
    ["es", "es"],
    ["en-US", "en"],
    ["en_GB.UTF-8", "en"],
    ["fr-FR", "en"],
    ["C", "en"],
    ["", "en"],
    ["not a locale!", "en"],
  ])("%s → %s", (locale, lang) => expect(languageFor(locale)).toBe(lang));

  it("normalises POSIX locales to BCP 47", () => {
    expect(normalizeLocale("es_MX.UTF-8@euro")).toBe("es-MX");
    expect(normalizeLocale("POSIX")).toBe("");
  });
});
