//! Translation without a library: pick the message, pick the plural form, fill `{slots}`, format numbers.
import { en } from "./en";
import { es } from "./es";
import type { Dictionary, Lang, Message, MessageKey, Vars } from "./types";

export { LANGS } from "./types";
export type { Lang, MessageKey, Vars } from "./types";

export const dictionaries: Record<Lang, Dictionary> = { es, en };

const pluralRules = new Map<Lang, Intl.PluralRules>();
const numberFormats = new Map<Lang, Intl.NumberFormat>();

function rulesFor(lang: Lang): Intl.PluralRules {
  let rules = pluralRules.get(lang);
  if (!rules) pluralRules.set(lang, (rules = new Intl.PluralRules(lang)));
  return rules;
}

function numbersFor(lang: Lang): Intl.NumberFormat {
  let format = numberFormats.get(lang);
  if (!format) numberFormats.set(lang, (format = new Intl.NumberFormat(lang)));
  return format;
}

function pick(lang: Lang, message: Message, vars: Vars): string {
  if (typeof message === "string") return message;
  const count = Number(vars.count ?? 0);
  return message[rulesFor(lang).select(count)] ?? message.other;
}

export function translate(lang: Lang, key: MessageKey, vars: Vars = {}): string {
  const text = pick(lang, dictionaries[lang][key], vars);
  return text.replace(/\{(\w+)\}/g, (slot, name: string) => {
    const value = vars[name];
    if (value === undefined) return slot;
    return typeof value === "number" ? numbersFor(lang).format(value) : value;
  });
}

/**
 * Turns an OS locale ("es-MX", "es_ES.UTF-8", "en-GB", "C") into a BCP 47 tag, or "" when it names no language.
 */
export function normalizeLocale(locale: string): string {
  const tag = locale.trim().split(/[.@]/)[0]?.replace(/_/g, "-") ?? "";
  if (tag === "" || tag === "C" || tag === "POSIX") return "";
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? "";
  } catch {
    return "";
  }
}

/**
 * The language for an OS locale: Spanish for any Spanish variant, English for everything else (the only
 * other language we ship, and the common second language of people whose OS is in a third one).
 */
export function languageFor(locale: string): Lang {
  return normalizeLocale(locale).toLowerCase().startsWith("es") ? "es" : "en";
}
