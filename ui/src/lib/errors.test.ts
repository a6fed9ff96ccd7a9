import { describe, expect, it } from "vitest";
import { errorMessage } from "./errors";
import { IpcFailure, toIpcError } from "./ipc";
import { ERROR_CODES } from "./types";

describe("errorMessage", () => {
  it("gives every error code its own sentence in each language", () => {
    for (const lang of ["es", "en"] as const) {
      const sentences = ERROR_CODES.map((code) => errorMessage(lang, { code, message: "detalle" }));
      expect(new Set(sentences).size).toBe(ERROR_CODES.length);
      for (const s of sentences) expect(s).not.toMatch(/\{\w+\}/);
    }
  });

  it("says what to do for the keyring and credential errors", () => {
    expect(errorMessage("es", { code: "wrong_credentials", message: "401" })).toBe(
      "Usuario o contraseña incorrectos.",
    );
    expect(errorMessage("en", { code: "wrong_credentials", message: "401" })).toBe(
      "Wrong username or password.",
    );
    expect(errorMessage("es", { code: "no_secret_service", message: "" })).toMatch(
      /gnome-keyring.*Secret Service/,
    );
    expect(errorMessage("en", { code: "no_secret_service", message: "" })).toMatch(
      /Install and unlock gnome-keyring/,
    );
    expect(errorMessage("es", { code: "keyring_locked", message: "" })).toMatch(/bloqueado/);
    expect(errorMessage("en", { code: "invalid_url", message: "" })).toMatch(/https:\/\/shop\.example\.com/);
  });

  it("shows the shell's message only for internal errors", () => {
    expect(errorMessage("es", { code: "internal", message: "panic at store.rs" })).toBe(
      "Error interno de Aviso: panic at store.rs",
    );
    expect(errorMessage("es", { code: "unreachable", message: "connection refused" })).not.toMatch(/refused/);
  });
});

describe("toIpcError", () => {
  it("keeps contract errors, and makes anything else `internal`", () => {
    expect(toIpcError({ code: "keyring_locked", message: "locked" })).toEqual({
      code: "keyring_locked",
      message: "locked",
    });
    expect(toIpcError(new IpcFailure({ code: "not_found", message: "x" }))).toEqual({
      code: "not_found",
      message: "x",
    });
    expect(toIpcError({ code: "brand_new_code", message: "" })).toEqual({
      code: "internal",
      message: "brand_new_code",
    });
    expect(toIpcError("command mark_read not found")).toEqual({
      code: "internal",
      message: "command mark_read not found",
    });
    expect(toIpcError(new TypeError("boom"))).toEqual({ code: "internal", message: "boom" });
  });

  it("turns an unknown error into a generic sentence, never a crash", () => {
    expect(errorMessage("en", "weird")).toBe("Aviso internal error: weird");
    expect(errorMessage("en", undefined)).toMatch(/^Aviso internal error/);
  });
});
