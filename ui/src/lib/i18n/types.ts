//! Shapes of the dictionaries: a message is a string with `{name}` slots, or plural forms picked by Intl.PluralRules.
import type { es } from "./es";

export type PluralForms = { other: string } & Partial<Record<Intl.LDMLPluralRule, string>>;
export type Message = string | PluralForms;
export type Lang = "es" | "en";
export const LANGS: readonly Lang[] = ["es", "en"];

export type MessageKey = keyof typeof es;
/** Every other language has exactly the Spanish keys, and a plural where Spanish has one. */
export type Dictionary = {
  [K in MessageKey]: (typeof es)[K] extends string ? string : PluralForms;
};
export type Vars = Record<string, string | number>;
