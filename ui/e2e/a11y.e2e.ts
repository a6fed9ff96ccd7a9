//! Accessibility of every view, checked by axe-core in Spanish and English, light and dark: the panel's lists, search
//! (hits and none), the empty states, a failed load, the snooze sheet, the live values, login (new, renewing, with an
//! error), settings, the policy editor (with the engine's problems), the connection health view, the store and kind
//! chips with the list grouped by store, a filter that leaves nothing, the banners, and settings' stores (a refused
//! rename, a removal to confirm, the icon's stores). No violation of impact "serious" or "critical" may remain.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { translate, type MessageKey } from "../src/lib/i18n";
import type { StreamChannel } from "../src/lib/types";
import { account, health, type Scenario } from "./harness/scenario";
import { axeViolations, LANGS, useApp } from "./support";

const { open } = useApp();

type T = (key: MessageKey, vars?: Record<string, string | number>) => string;

const STREAMS: StreamChannel[] = [
  {
    account: "tienda",
    channel: "ventas/hoy",
    state: "open",
    last_update: "@-20s",
    event: "update",
    data: { total: 1234.5, pedidos: 17 },
  },
  {
    account: "tienda",
    channel: "stock/alertas",
    state: "polling",
    last_update: "@-300s",
    event: "snapshot",
    data: [{ sku: "AX-200", stock: 3 }],
  },
  { account: "tienda", channel: "caja/turno", state: "closed", last_update: null, event: null, data: null },
];

const BAD_WHEN = {
  code: "bad_comparison",
  message_es: "la regla «grande», clave `when`: `total mucho` no es una comparación",
  message_en: "rule `grande`, key `when`: `total mucho` is not a comparison",
};

/** Two accounts (one reconnecting, with its reason), live values, pop-ups paused, rules of every kind. */
function busy(locale: string): Scenario {
  return {
    locale,
    accounts: [
      account("tienda"),
      account("sucursal", { state: "backoff", transport: null, detail: "dead_peer", next_retry_at: "@+30s" }),
    ],
    generate: { count: 40, unread: "every-third" },
    streams: STREAMS,
    settings: { paused_until: "@+3000s" },
    policy: {
      rules: [{ name: "pagos sin sonido", kind: "pago_*", action: ["quiet", "no_badge"] }],
      quiet_hours: [{ days: ["lun", "mar"], from: "22:00", to: "07:00" }],
      silence: [{ name: "sin ventas", kind: "nueva_compra", after: "2h" }],
    },
    policyProblems: { "total mucho": [BAD_WHEN] },
    health: [
      health("tienda", {
        last_event: { at: "@-60s", kind: "nueva_compra", title: "Compra #5012" },
        reconnects_today: 2,
        reconnect_reasons: { dead_peer: 2 },
        last_catch_up: { at: "@-3600s", items: 3, ok: true },
        token_expires_at: "@+86400s",
      }),
      health("sucursal", {
        state: "backoff",
        transport: null,
        detail: "dead_peer",
        connected_since: null,
        rtt_ms: null,
        reconnects_today: 3,
        reconnect_reasons: { timeout: 1, dead_peer: 2 },
        next_retry_at: "@+30s",
        last_catch_up: { at: "@-7200s", items: 0, ok: false },
        queued_marks: 4,
      }),
    ],
  };
}

interface View {
  name: string;
  scenario: (locale: string) => Scenario;
  /** Brings the view on screen, in its resting state. */
  show: (page: Page, t: T) => Promise<void>;
}

const rows = (page: Page) => page.locator(".notification").first().waitFor();

const VIEWS: View[] = [
  {
    name: "unread list",
    scenario: busy,
    show: rows,
  },
  {
    name: "all list",
    scenario: busy,
    show: async (page, t) => {
      await page.getByRole("tab", { name: t("tabs.all") }).click();
      // Every third is unread: read and unread rows side by side.
      await page.locator(".notification:not(.unread)").first().waitFor();
    },
  },
  {
    name: "search with hits",
    scenario: busy,
    show: async (page, t) => {
      await rows(page);
      // Matches in titles (the text colour) and in bodies (the muted one).
      await page.getByLabel(t("search.label")).fill("compra");
      await page.locator(".notification mark").first().waitFor();
    },
  },
  {
    name: "search without hits",
    scenario: busy,
    show: async (page, t) => {
      await rows(page);
      await page.getByLabel(t("search.label")).fill("zzz");
      await page.getByText(t("search.none.title")).waitFor();
    },
  },
  {
    name: "empty unread list",
    scenario: (locale) => ({ locale, accounts: [account("tienda")], generate: { count: 0, unread: 0 } }),
    show: (page, t) => page.getByText(t("empty.unread.title")).waitFor(),
  },
  {
    name: "empty all list",
    scenario: (locale) => ({ locale, accounts: [account("tienda")], generate: { count: 0, unread: 0 } }),
    show: async (page, t) => {
      await page.getByRole("tab", { name: t("tabs.all") }).click();
      await page.getByText(t("empty.all.title")).waitFor();
    },
  },
  {
    name: "failed load and failed action",
    scenario: (locale) => ({
      locale,
      accounts: [account("tienda")],
      generate: { count: 10, unread: 4 },
      failures: { mark_all_read: { code: "storage", message: "disk full" } },
    }),
    show: async (page, t) => {
      await rows(page);
      await page.getByRole("button", { name: t("panel.markAllRead") }).click();
      await page.getByRole("alert").waitFor();
    },
  },
  {
    name: "list that cannot load",
    scenario: (locale) => ({
      locale,
      accounts: [account("tienda")],
      failures: { list_notifications: { code: "storage", message: "disk full" } },
    }),
    show: (page, t) => page.getByRole("button", { name: t("panel.retry") }).waitFor(),
  },
  {
    name: "snooze sheet",
    scenario: busy,
    show: async (page, t) => {
      await rows(page);
      const row = page.locator(".notification").first();
      await row.hover();
      await row.getByRole("button", { name: t("item.snooze") }).click();
      await page.getByRole("dialog", { name: t("item.snooze") }).waitFor();
    },
  },
  {
    name: "live values",
    scenario: busy,
    show: async (page, t) => {
      await page.getByRole("tab", { name: t("tabs.live") }).click();
      await page.locator(".channel").first().waitFor();
    },
  },
  {
    name: "login",
    scenario: (locale) => ({ locale, accounts: [] }),
    show: (page, t) => page.getByRole("heading", { name: t("login.title") }).waitFor(),
  },
  {
    name: "login renewing a session, with an error",
    scenario: (locale) => ({
      locale,
      accounts: [account("tienda", { state: "needs_login", transport: null, detail: "auth_failed" })],
      loginErrors: { wrong: { code: "wrong_credentials", message: "no" } },
    }),
    show: async (page, t) => {
      await page.getByRole("heading", { name: t("login.title") }).waitFor();
      await page.getByLabel(t("login.username")).fill("wrong");
      await page.getByLabel(t("login.password")).fill("nope");
      await page.getByRole("button", { name: t("login.submit") }).click();
      await page.getByRole("alert").waitFor();
    },
  },
  {
    name: "settings",
    scenario: busy,
    show: async (page, t) => {
      await page.getByRole("button", { name: t("panel.settings") }).click();
      await page.getByRole("heading", { name: t("settings.title") }).waitFor();
      await page.locator("button[data-action=resume]").waitFor();
    },
  },
  {
    name: "policy editor with the engine's problems",
    scenario: busy,
    show: async (page, t) => {
      await page.getByRole("button", { name: t("panel.settings") }).click();
      const rule = page.locator("section[data-section='rules'] fieldset[data-index='0']");
      await rule.locator("input[name='when']").fill("total mucho");
      await rule.locator("input[name='when']").blur();
      await page.getByRole("button", { name: t("policy.save") }).click();
      await page.locator(".problems").waitFor();
      await page.locator(".problems").scrollIntoViewIfNeeded();
    },
  },
  {
    name: "connection health",
    scenario: busy,
    show: async (page, t) => {
      await page.getByRole("button", { name: t("panel.health"), exact: true }).click();
      await page.locator(".card[data-account='sucursal'] [data-reason]").first().waitFor();
    },
  },
];

/** Two stores (one whose secure connection fails), the list grouped by store, every problem of the database. */
function stores(locale: string): Scenario {
  return {
    locale,
    accounts: [
      account("tienda-norte"),
      account("tienda-centro", { state: "backoff", transport: null, detail: "tls", next_retry_at: "@+30s" }),
    ],
    generate: { count: 40, unread: "every-third" },
    settings: { view: { account: null, kind: null, group: true } },
  };
}

const STORAGE = [
  { code: "disk_full" as const, since: "@-60s", path: null },
  { code: "read_only" as const, since: "@-60s", path: "/home/ana/.local/share/aviso" },
  { code: "moved_aside" as const, since: "@-600s", path: "/home/ana/.local/share/aviso/aviso.db.corrupt-1" },
];

VIEWS.push(
  {
    name: "store and kind chips, grouped by store",
    scenario: stores,
    show: async (page) => {
      await page.locator(".store").first().waitFor();
      await page.locator("[data-filter=kinds] button[data-kind='stock_bajo']").click();
      await page.locator("[data-filter=kinds] button[data-kind='stock_bajo'][aria-pressed=true]").waitFor();
      await page.locator(".store").first().waitFor();
    },
  },
  {
    name: "a filter that leaves nothing",
    scenario: (locale) => ({
      ...stores(locale),
      settings: { view: { account: "tienda-norte", kind: "stock_bajo", group: false } },
      generate: { count: 6, unread: 0 },
    }),
    show: (page, t) => page.getByRole("button", { name: t("filters.clear") }).waitFor(),
  },
  {
    name: "banners",
    scenario: (locale) => ({ ...stores(locale), storage: STORAGE }),
    show: async (page) => {
      await page.locator("[data-banner=moved_aside]").waitFor();
      await page.locator("[data-banner=tls]").waitFor();
    },
  },
  {
    name: "settings: a refused rename, a removal to confirm, the icon's stores",
    scenario: (locale) => ({ ...stores(locale), settings: { badge_accounts: ["tienda-centro"] } }),
    show: async (page, t) => {
      await page.getByRole("button", { name: t("panel.settings") }).click();
      await page.getByRole("button", { name: t("settings.renameOf", { account: "tienda-norte" }) }).click();
      const field = page.getByRole("textbox", { name: t("settings.newName", { account: "tienda-norte" }) });
      await field.fill("tienda-centro");
      await field.press("Enter");
      await page
        .getByRole("alert")
        .filter({ hasText: t("error.name_taken") })
        .waitFor();
      await page.getByRole("button", { name: t("settings.removeOf", { account: "tienda-centro" }) }).click();
      await page.getByText(t("settings.removeConfirm", { account: "tienda-centro" })).waitFor();
      await page.locator("input[name=badge-store]").first().waitFor();
    },
  },
);

const THEMES = ["light", "dark"] as const;

describe.each(LANGS.flatMap(({ lang, locale }) => THEMES.map((theme) => ({ lang, locale, theme }))))(
  "accessibility ($lang, $theme)",
  ({ lang, locale, theme }) => {
    const t: T = (key, vars) => translate(lang, key, vars);

    it.each(VIEWS)("$name: axe finds nothing serious or critical", async ({ scenario, show }) => {
      const { page } = await open(scenario(locale), { colorScheme: theme });
      await show(page, t);
      // The same picture every run: no control under the pointer by chance (layouts shift as views change).
      await page.mouse.move(0, 0);
      // Transitions (hover buttons fading in, the tab's shadow) end before the colours are measured.
      await page.waitForTimeout(300);
      const found = await axeViolations(page);
      const serious = found.filter((v) => v.impact === "serious" || v.impact === "critical");
      const report = serious
        .map(
          (v) =>
            `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `  ${n.target}\n    ${n.summary.replace(/\n/g, " ")}`).join("\n")}`,
        )
        .join("\n");
      expect(serious, `axe violations:\n${report}`).toEqual([]);
    });
  },
);
