//! Rules, quiet hours and silence alarms edited in the settings (es, en): what set_policy receives, the
//! engine's problems shown in the panel's language; and "remind me later" from the panel.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { translate, type MessageKey } from "../src/lib/i18n";
import type { PolicyConfig } from "../src/lib/types";
import { account, type Scenario } from "./harness/scenario";
import { calls, LANGS, screenshot, useApp } from "./support";

const { open } = useApp();

/** What the engine says about a rule whose `when` is not a comparison (policy/error.rs, both languages). */
const BAD_WHEN = {
  code: "bad_comparison",
  message_es:
    "la regla «grande», clave `when`: `total mucho` no es una comparación: escribe CAMPO OP VALOR, p. ej. `datos.total >= 1000` (OP: >=, <=, >, <, ==, !=)",
  message_en:
    "rule `grande`, key `when`: `total mucho` is not a comparison: write FIELD OP VALUE, e.g. `datos.total >= 1000` (OP: >=, <=, >, <, ==, !=)",
};
const EMPTY_WINDOW = {
  code: "bad_schedule",
  message_es:
    "el horario de silencio n.º 1, clave `to`: `from` y `to` son la misma hora: el horario no dura nada (para todo el día: 00:00 a 24:00)",
  message_en:
    "quiet hours window 1, key `to`: `from` and `to` are the same time: the window is empty (for a whole day: 00:00 to 24:00)",
};

describe.each(LANGS)("policy settings ($lang)", ({ lang, locale }) => {
  const t = (key: MessageKey, vars?: Record<string, string | number>) => translate(lang, key, vars);
  const scenario: Scenario = {
    locale,
    accounts: [account("tienda")],
    generate: { count: 5, unread: 2 },
    policy: {
      rules: [{ name: "pagos sin sonido", kind: "pago_*", action: ["quiet", "no_badge"] }],
    },
    policyProblems: { "total mucho": [BAD_WHEN], '"from":"22:00","to":"22:00"': [EMPTY_WINDOW] },
  };

  async function openSettings(page: Page) {
    await page.getByRole("button", { name: t("panel.settings") }).click();
    await page.getByRole("heading", { name: t("policy.rules") }).waitFor();
  }

  const section = (page: Page, id: string) => page.locator(`section[data-section='${id}']`);
  const field = (page: Page, id: string, index: number, name: string) =>
    section(page, id).locator(`fieldset[data-index='${index}'] input[name='${name}']`);

  it("shows the stored rules and saves edited rules, quiet hours and alarms with set_policy", async () => {
    const { page } = await open(scenario);
    await openSettings(page);
    expect(await field(page, "rules", 0, "name").inputValue()).toBe("pagos sin sonido");
    expect(await field(page, "rules", 0, "action-quiet").isChecked()).toBe(true);
    expect(await field(page, "rules", 0, "action-urgent").isChecked()).toBe(false);
    expect(await section(page, "quiet_hours").getByText(t("policy.none")).count()).toBe(1);

    // A second rule: urgent big sales.
    await section(page, "rules")
      .getByRole("button", { name: t("policy.addRule") })
      .click();
    await field(page, "rules", 1, "name").fill("grande");
    await field(page, "rules", 1, "kind").fill("nueva_compra");
    await field(page, "rules", 1, "when").fill("datos.total >= 1000");
    await field(page, "rules", 1, "action-quiet").uncheck();
    await field(page, "rules", 1, "action-urgent").check();
    // Quiet hours on weekdays at night.
    await section(page, "quiet_hours")
      .getByRole("button", { name: t("policy.addWindow") })
      .click();
    await field(page, "quiet_hours", 0, "days").fill("lun, mar, mie, jue, vie");
    await field(page, "quiet_hours", 0, "from").fill("22:00");
    await field(page, "quiet_hours", 0, "to").fill("07:00");
    await page.locator("input[name='time_zone']").fill("America/La_Paz");
    // An alarm: no sale for 2 h during opening hours.
    await section(page, "silence")
      .getByRole("button", { name: t("policy.addAlarm") })
      .click();
    await field(page, "silence", 0, "name").fill("ventas");
    await field(page, "silence", 0, "kind").fill("nueva_compra");
    await field(page, "silence", 0, "after").fill("2h");
    await field(page, "silence", 0, "days").fill("laborables");
    await field(page, "silence", 0, "from").fill("09:00");
    await field(page, "silence", 0, "to").fill("21:00");
    await field(page, "silence", 0, "to").blur();

    await page.getByRole("button", { name: t("policy.save") }).click();
    await page
      .getByRole("status")
      .filter({ hasText: t("policy.saved") })
      .waitFor();
    const [saved] = await calls(page, "set_policy");
    const policy = saved!.args.policy as PolicyConfig;
    expect(policy.rules).toEqual([
      { name: "pagos sin sonido", kind: "pago_*", action: ["quiet", "no_badge"] },
      { kind: "nueva_compra", name: "grande", when: "datos.total >= 1000", action: ["urgent"] },
    ]);
    expect(policy.quiet_hours).toEqual([
      { from: "22:00", to: "07:00", days: ["lun", "mar", "mie", "jue", "vie"] },
    ]);
    expect(policy.time_zone).toBe("America/La_Paz");
    expect(policy.silence).toEqual([
      { kind: "nueva_compra", after: "2h", name: "ventas", days: ["laborables"], from: "09:00", to: "21:00" },
    ]);
    // Everything else of [policy] went back as it was.
    expect(policy.burst_max).toBe(3);
    expect(await page.getByRole("button", { name: t("policy.save") }).isDisabled()).toBe(true);
    await screenshot(page, `settings-policy-${lang}.png`);
  });

  it("shows the engine's problems in the panel's language and saves nothing until they are fixed", async () => {
    const { page } = await open(scenario);
    await openSettings(page);
    await section(page, "rules")
      .getByRole("button", { name: t("policy.addRule") })
      .click();
    await field(page, "rules", 1, "name").fill("grande");
    await field(page, "rules", 1, "when").fill("total mucho");
    await section(page, "quiet_hours")
      .getByRole("button", { name: t("policy.addWindow") })
      .click();
    await field(page, "quiet_hours", 0, "to").fill("22:00");
    await field(page, "quiet_hours", 0, "to").blur();
    await page.getByRole("button", { name: t("policy.save") }).click();

    const alert = page.locator(".problems[role=alert]");
    await alert.waitFor();
    expect(await alert.locator("p").textContent()).toBe(t("policy.problems", { count: 2 }));
    const shown = await alert.locator("li").allTextContents();
    const key = lang === "es" ? "message_es" : "message_en";
    expect(shown).toEqual([BAD_WHEN[key], EMPTY_WINDOW[key]]);
    expect(
      await alert.locator("li").evaluateAll((els) => els.map((e) => e.getAttribute("data-code"))),
    ).toEqual(["bad_comparison", "bad_schedule"]);

    // Fixed: saved, and the problems go.
    await field(page, "rules", 1, "when").fill("datos.total >= 1000");
    await field(page, "quiet_hours", 0, "to").fill("07:00");
    await field(page, "quiet_hours", 0, "to").blur();
    await page.getByRole("button", { name: t("policy.save") }).click();
    await page
      .getByRole("status")
      .filter({ hasText: t("policy.saved") })
      .waitFor();
    expect(await alert.count()).toBe(0);
    expect(await calls(page, "set_policy")).toHaveLength(2);
  });
});

describe.each(LANGS)("snooze from the panel ($lang)", ({ lang, locale }) => {
  const t = (key: MessageKey, vars?: Record<string, string | number>) => translate(lang, key, vars);
  const scenario: Scenario = {
    locale,
    accounts: [account("tienda")],
    generate: { count: 6, unread: 3 },
    snoozeReleaseMs: 1500,
  };

  it("snoozes for 1 h: the item leaves the unread list and count, and comes back when due", async () => {
    const { page } = await open(scenario);
    const rows = page.locator(".notification");
    await rows.first().waitFor();
    const id = (await rows.first().getAttribute("data-id"))!;
    const row = page.locator(`.notification[data-id='${id}']`);
    await row.hover();
    await row.getByRole("button", { name: t("item.snooze") }).click();
    const sheet = page.getByRole("dialog", { name: t("item.snooze") });
    await sheet.waitFor();
    await screenshot(page, `snooze-${lang}.png`);
    await sheet.getByRole("button", { name: t("item.snoozeHour") }).click();
    await row.waitFor({ state: "detached" });
    expect(await sheet.count()).toBe(0);
    expect((await calls(page, "snooze")).map((c) => c.args)).toEqual([{ account: "tienda", id, when: "1h" }]);
    await page.getByText(t("panel.unreadCount", { count: 2 })).waitFor();
    // Due (the mocked shell releases it after 1.5 s): back, unread, in its place.
    await row.waitFor();
    await page.getByText(t("panel.unreadCount", { count: 3 })).waitFor();
    expect(await rows.first().getAttribute("data-id")).toBe(id);
  });

  it("offers tomorrow at 9:00 and a chosen time, and says when a time is refused", async () => {
    const { page } = await open(scenario);
    const rows = page.locator(".notification");
    await rows.first().waitFor();
    const [first, second] = await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-id")!));
    await page.locator(`.notification[data-id='${first}'] button[data-action=snooze]`).click();
    await page.getByRole("button", { name: t("item.snoozeTomorrow") }).click();
    await page.locator(`.notification[data-id='${first}']`).waitFor({ state: "detached" });

    await page.locator(`.notification[data-id='${second}'] button[data-action=snooze]`).click();
    const sheet = page.getByRole("dialog", { name: t("item.snooze") });
    await sheet.locator("input[name='snooze-at']").fill("2000-01-01T09:00");
    await sheet.getByRole("button", { name: t("item.snoozeSubmit"), exact: true }).click();
    await sheet
      .getByRole("alert")
      .filter({ hasText: t("error.bad_when") })
      .waitFor();
    await sheet.locator("input[name='snooze-at']").fill("2099-12-08T09:30");
    await sheet.getByRole("button", { name: t("item.snoozeSubmit"), exact: true }).click();
    await page.locator(`.notification[data-id='${second}']`).waitFor({ state: "detached" });
    expect((await calls(page, "snooze")).map((c) => c.args.when)).toEqual([
      "mañana 9:00",
      "2000-01-01 09:00",
      "2099-12-08 09:30",
    ]);
  });
});
