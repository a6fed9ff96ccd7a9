//! The login view in Spanish and English: profiles, the `login` call, translated errors, the password never kept.
import { describe, expect, it } from "vitest";
import { translate, type MessageKey } from "../src/lib/i18n";
import type { ErrorCode } from "../src/lib/types";
import { PROFILES, type Scenario } from "./harness/scenario";
import { calls, LANGS, screenshot, useApp } from "./support";

const { open } = useApp();

const FAILING: [string, ErrorCode][] = [
  ["wrong", "wrong_credentials"],
  ["offline", "unreachable"],
  ["nokeyring", "no_secret_service"],
  ["locked", "keyring_locked"],
  ["badurl", "invalid_url"],
];

describe.each(LANGS)("login ($lang)", ({ lang, locale }) => {
  const t = (key: MessageKey, vars?: Record<string, string | number>) => translate(lang, key, vars);
  const scenario: Scenario = {
    locale,
    accounts: [],
    generate: { count: 5, unread: 5 },
    loginErrors: Object.fromEntries(
      FAILING.map(([user, code]) => [user, { code, message: `engine said ${code}` }]),
    ),
  };

  async function fill(page: import("playwright-core").Page, username: string, password = "s3cr3t") {
    await page.getByLabel(t("login.server")).fill("https://tienda.example.com");
    await page.getByLabel(t("login.username")).fill(username);
    await page.getByLabel(t("login.password")).fill(password);
    await page.getByRole("button", { name: t("login.submit") }).click();
  }

  it("shows the login view when there is no account, with the profiles from list_profiles", async () => {
    const { page } = await open(scenario);
    await page.getByRole("heading", { name: t("login.title") }).waitFor();
    const options = await page.locator("select[name=profile] option").allTextContents();
    expect(options).toEqual(PROFILES.map((p) => p.name));
    expect(await page.getByText(PROFILES[0]!.description).isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: t("login.cancel") }).count()).toBe(0);
    expect(await page.getByLabel(t("login.password")).getAttribute("type")).toBe("password");
    await screenshot(page, `login-${lang}.png`);
  });

  it("translates every login error and clears the password after each submit", async () => {
    const { page } = await open(scenario);
    for (const [username, code] of FAILING) {
      await fill(page, username);
      const alert = page.getByRole("alert");
      await expect.poll(() => alert.getAttribute("data-code")).toBe(code);
      expect((await alert.textContent())?.trim()).toBe(t(`error.${code}`));
      expect(await page.getByLabel(t("login.password")).inputValue()).toBe("");
    }
    expect((await page.getByRole("alert").textContent())?.trim()).toBe(t("error.invalid_url"));
    await fill(page, "nokeyring");
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/gnome-keyring/);
    await screenshot(page, `login-error-${lang}.png`);
    expect(await page.locator(".app").getAttribute("data-screen")).toBe("login");
  });

  it("calls login with the contract's arguments and shows the panel", async () => {
    const { page } = await open(scenario);
    await page.getByLabel(t("login.profile")).selectOption("generic-polling");
    await fill(page, "admin", "admin-pass");
    await page.locator(".app[data-screen=panel]").waitFor();
    expect(await calls(page, "login")).toEqual([
      {
        cmd: "login",
        args: {
          server: "https://tienda.example.com",
          profile: "generic-polling",
          username: "admin",
          password: "admin-pass",
          name: null,
        },
      },
    ]);
    await page.locator(".notification").first().waitFor();
    // The password left the page once, in the call, and is not anywhere in the DOM.
    expect(await page.content()).not.toContain("admin-pass");
  });
});
