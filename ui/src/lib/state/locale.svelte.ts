//! The language in use: the setting, or the OS locale from `get_locale` when the setting is "auto"; switches live.
import { languageFor, normalizeLocale, translate, type Lang, type MessageKey, type Vars } from "../i18n";
import type { Language } from "../types";

export class Locale {
  /** The OS locale as the shell reports it ("es-ES"); the webview's guess until `get_locale` answers. */
  os = $state("");
  readonly #choice: () => Language;

  constructor(choice: () => Language, initialGuess = "") {
    this.#choice = choice;
    this.os = initialGuess;
  }

  /** The language that "auto" resolves to. */
  readonly osLang: Lang = $derived(languageFor(this.os));
  readonly lang: Lang = $derived.by(() => {
    const choice = this.#choice();
    return choice === "auto" ? this.osLang : choice;
  });
  /** The tag for Intl formatting: the OS's regional variant when it is of the same language ("es-MX"). */
  readonly intl: string = $derived.by(() => {
    const os = normalizeLocale(this.os);
    return os.toLowerCase().startsWith(this.lang) ? os : this.lang;
  });

  t = (key: MessageKey, vars?: Vars): string => translate(this.lang, key, vars);
}
