//! IpcError → a sentence the person can act on, in their language (the UI switches on `code`, never on text).
import { translate, type Lang, type MessageKey } from "./i18n";
import { toIpcError } from "./ipc";
import type { ErrorCode } from "./types";

const KEYS: Record<ErrorCode, MessageKey> = {
  wrong_credentials: "error.wrong_credentials",
  unreachable: "error.unreachable",
  no_secret_service: "error.no_secret_service",
  keyring_locked: "error.keyring_locked",
  invalid_url: "error.invalid_url",
  unknown_profile: "error.unknown_profile",
  unknown_account: "error.unknown_account",
  not_found: "error.not_found",
  storage: "error.storage",
  bad_policy: "error.bad_policy",
  bad_when: "error.bad_when",
  bad_shortcut: "error.bad_shortcut",
  name_taken: "error.name_taken",
  invalid_name: "error.invalid_name",
  internal: "error.internal",
};

/** Anything a command rejected with, as a translated sentence. */
export function errorMessage(lang: Lang, error: unknown): string {
  const { code, message } = toIpcError(error);
  return translate(lang, KEYS[code], { message: message || code });
}
