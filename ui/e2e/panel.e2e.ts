//! The panel in Spanish and English: rows, tabs, read marks, open, empty states, live inserts, hostile text,
//! keyboard use, and the listeners it keeps.
import { describe, expect, it } from "vitest";
import { translate } from "../src/lib/i18n";
import { kindStyle } from "../src/lib/kinds";
import { account, type Scenario } from "./harness/scenario";
import { calls, emit, LANGS, screenshot, useApp } from "./support";

const { open } = useApp();

const EVENTS = [
  "connection://state-changed",
  "notifications://read",
  "notifications://received",
  "notifications://received-batch",
  "notifications://released",
  "notifications://snoozed",
  "notifications://unread-changed",
  "panel://focus-item",
  "settings://changed",
  "storage://changed",
  "streams://updated",
];

describe.each(LANGS)("panel ($lang)", ({ lang, locale }) => {
  const t = (key: Parameters<typeof translate>[1], vars?: Record<string, string | number>) =>
    translate(lang, key, vars);
  const scenario = (patch: Partial<Scenario> = {}): Scenario => ({
    locale,
    accounts: [account("tienda")],
    generate: { count: 40, unread: 12 },
    ...patch,
  });

  it("lists unread notifications newest first with kind icons, texts and relative times", async () => {
    const { page } = await open(scenario());
    const rows = page.locator(".notification");
    await rows.first().waitFor();
    const expected = await page.evaluate(() =>
      window.__aviso
        .notifications()
        .filter((n) => !n.read)
        .map((n) => ({ id: n.id, title: n.title, body: n.body, kind: n.kind })),
    );
    const shown = await rows.evaluateAll((els) =>
      els.map((el) => ({
        id: el.getAttribute("data-id"),
        title: el.querySelector(".title")?.textContent,
        body: el.querySelector(".body")?.textContent,
        kind: el.getAttribute("data-kind"),
        icon: el.querySelector("[data-kind-icon]")?.getAttribute("data-kind-icon"),
        time: el.querySelector("time")?.textContent,
      })),
    );
    expect(shown).toHaveLength(12);
    expect(shown.map(({ id, title, body, kind }) => ({ id, title, body, kind }))).toEqual(expected);
    for (const row of shown) expect(row.icon).toBe(kindStyle(row.kind!).icon);
    expect(shown.some((r) => r.icon === "bell")).toBe(true);
    expect(shown[0]!.icon).toBe("cart");
    expect(shown[0]!.time).toBe(lang === "es" ? "ahora" : "now");
    expect(shown[1]!.time).toMatch(lang === "es" ? /^hace \d+ min$/ : /^\d+ min\. ago$/);
    expect(shown[11]!.time).toMatch(lang === "es" ? /^hace 1 h$/ : /^1 hr\. ago$/);

    await expect
      .poll(() => page.locator("header .count").textContent())
      .toBe(t("panel.unreadCount", { count: 12 }));
    const unreadTab = page.getByRole("tab", { name: new RegExp(t("tabs.unread")) });
    expect(await unreadTab.getAttribute("aria-selected")).toBe("true");
    expect(await unreadTab.textContent()).toContain("12");
    expect(await page.locator("html").getAttribute("lang")).toBe(lang);
    await screenshot(page, `panel-${lang}.png`);
  });

  it("switches tabs with list_notifications(filter) and shows read items in All", async () => {
    const { page } = await open(scenario());
    await page.locator(".notification").first().waitFor();
    await page.getByRole("tab", { name: t("tabs.all") }).click();
    // The 12 unread are the newest: the read ones come right after them (rendered once scrolled near).
    await expect.poll(() => page.locator(".notification").count()).toBeGreaterThan(0);
    await page.locator(".viewport").evaluate((el) => (el.scrollTop = 12 * 76));
    await expect.poll(() => page.locator(".notification:not(.unread)").count()).toBeGreaterThan(0);
    const lists = await calls(page, "list_notifications");
    expect(lists.map((c) => c.args)).toEqual([
      { filter: "unread", before: null, limit: 200, account: null, kind: null, group: false },
      { filter: "all", before: null, limit: 200, account: null, kind: null, group: false },
    ]);
    expect(await page.getByRole("tab", { name: t("tabs.all") }).getAttribute("aria-selected")).toBe("true");
    await page.getByRole("tab", { name: new RegExp(t("tabs.unread")) }).click();
    await expect.poll(() => page.locator(".notification:not(.unread)").count()).toBe(0);
    expect(await page.locator(".notification.unread").count()).toBe(12);
  });

  it("marks one read with mark_read(account, [id]) and updates the count", async () => {
    const { page } = await open(scenario());
    const second = page.locator(".notification").nth(1);
    const id = await second.getAttribute("data-id");
    await second.hover();
    await second.getByRole("button", { name: t("item.markRead") }).click();
    await expect
      .poll(() => calls(page, "mark_read"))
      .toEqual([{ cmd: "mark_read", args: { account: "tienda", ids: [id] } }]);
    await expect.poll(() => page.locator(`.notification[data-id="${id}"]`).count()).toBe(0);
    await expect
      .poll(() => page.locator("header .count").textContent())
      .toBe(t("panel.unreadCount", { count: 11 }));
    expect(await page.locator(".notification").count()).toBe(11);
  });

  it("opens a notification with open_notification, like a toast click", async () => {
    const { page } = await open(scenario());
    const first = page.locator(".notification").first();
    const id = await first.getAttribute("data-id");
    await first.locator(".open").click();
    await expect
      .poll(() => calls(page, "open_notification"))
      .toEqual([{ cmd: "open_notification", args: { account: "tienda", id } }]);
    await expect.poll(() => page.locator(`.notification[data-id="${id}"]`).count()).toBe(0);
  });

  it("marks all read with mark_all_read(null) and shows the empty state", async () => {
    const { page } = await open(scenario());
    await page.locator(".notification").first().waitFor();
    await page.getByRole("button", { name: t("panel.markAllRead") }).click();
    await expect
      .poll(() => calls(page, "mark_all_read"))
      .toEqual([{ cmd: "mark_all_read", args: { account: null } }]);
    await page.getByText(t("empty.unread.title")).waitFor();
    expect(await page.getByText(t("empty.unread.body")).isVisible()).toBe(true);
    expect(await page.locator(".notification").count()).toBe(0);
    await expect
      .poll(() => page.getByRole("button", { name: t("panel.markAllRead") }).isDisabled())
      .toBe(true);
    await screenshot(page, `empty-${lang}.png`);
  });

  it("says when there are no notifications at all", async () => {
    const { page } = await open(scenario({ generate: { count: 0, unread: 0 } }));
    await page.getByText(t("empty.unread.title")).waitFor();
    await page.getByRole("tab", { name: t("tabs.all") }).click();
    await page.getByText(t("empty.all.title")).waitFor();
    expect(await page.getByText(t("empty.all.body")).isVisible()).toBe(true);
  });

  it("puts a notification from notifications://received on top", async () => {
    const { page } = await open(scenario());
    await page.locator(".notification").first().waitFor();
    await emit(page, "notifications://received", {
      account: "tienda",
      id: "777777",
      kind: "stock_bajo",
      title: 'Stock bajo: Monitor 27"',
      body: "Queda 1 unidad.",
      url: null,
      created_at: "@-1s",
      read: false,
      data: null,
    });
    await expect.poll(() => page.locator(".notification").first().getAttribute("data-id")).toBe("777777");
    expect(
      await page.locator(".notification").first().locator("[data-kind-icon]").getAttribute("data-kind-icon"),
    ).toBe("box");
  });

  it("shows hostile notification text as literal text and creates no element from it", async () => {
    const hostile = "<img src=x onerror=alert(1)>";
    const body = "<script>alert(2)</script><b>negrita</b> & <a href='javascript:alert(3)'>x</a>";
    const { page, problems } = await open(
      scenario({
        generate: undefined,
        accounts: [account("<i>tienda</i>")],
        notifications: [
          {
            account: "<i>tienda</i>",
            id: "1",
            kind: "<svg onload=alert(4)>",
            title: hostile,
            body,
            url: "javascript:alert(5)",
            created_at: "@-30s",
            read: false,
            data: { html: hostile },
          },
        ],
      }),
    );
    const row = page.locator(".notification").first();
    await row.waitFor();
    expect(await row.locator(".title").textContent()).toBe(hostile);
    expect(await row.locator(".body").textContent()).toBe(body);
    const injected = await page.evaluate(() => ({
      images: document.images.length,
      scripts: document.querySelectorAll("body script").length,
      rowElements: [...document.querySelectorAll(".notification *")].map((e) => e.tagName.toLowerCase()),
    }));
    expect(injected.images).toBe(0);
    expect(injected.scripts).toBe(0);
    for (const tag of ["img", "script", "b", "a", "i"]) expect(injected.rowElements).not.toContain(tag);
    expect(await row.locator("[data-kind-icon]").getAttribute("data-kind-icon")).toBe("bell");
    await page.waitForTimeout(200);
    expect(problems).toEqual([]);
  });

  it("is keyboard navigable with a visible focus ring", async () => {
    const { page } = await open(scenario());
    await page.locator(".notification").first().waitFor();
    // Tab order: mark all, connection health, settings, the search box, the selected tab, the chosen kind chip (one
    // stop for the row of chips), then the first row.
    for (let i = 0; i < 7; i++) await page.keyboard.press("Tab");
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        return {
          id: el.closest(".notification")?.getAttribute("data-id") ?? null,
          open: el.classList.contains("open"),
          outline: getComputedStyle(el).outlineStyle,
        };
      });
    const ids = await page
      .locator(".notification")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-id")));
    expect(await focused()).toEqual({ id: ids[0], open: true, outline: "solid" });
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    expect((await focused()).id).toBe(ids[2]);
    await page.keyboard.press("Enter");
    await expect
      .poll(() => calls(page, "open_notification"))
      .toEqual([{ cmd: "open_notification", args: { account: "tienda", id: ids[2] } }]);

    // Arrow keys move between tabs.
    await page.getByRole("tab", { name: new RegExp(t("tabs.unread")) }).focus();
    await page.keyboard.press("ArrowRight");
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute("data-tab")))
      .toBe("all");
    expect(await page.getByRole("tab", { name: t("tabs.all") }).getAttribute("aria-selected")).toBe("true");

    // Every button has an accessible name.
    const unnamed = await page
      .locator("button")
      .evaluateAll((els) =>
        els.filter((b) => !(b.getAttribute("aria-label") || b.textContent?.trim())).map((b) => b.outerHTML),
      );
    expect(unnamed).toEqual([]);
  });

  it("listens to each event once and runs under a strict CSP", async () => {
    const { page } = await open(scenario());
    await page.locator(".notification").first().waitFor();
    await page.getByRole("tab", { name: t("tabs.all") }).click();
    await page.getByRole("button", { name: t("panel.settings") }).click();
    await page.getByRole("button", { name: t("settings.back") }).click();
    await page.locator(".notification").first().waitFor();
    const listeners = await page.evaluate(() => window.__aviso.listeners);
    expect(Object.keys(listeners).sort()).toEqual(EVENTS);
    for (const event of EVENTS) expect(listeners[event], event).toBe(1);
    // The stylesheet and script come from 'self' only: nothing inline, nothing remote.
    const resources = await page.evaluate(() => performance.getEntriesByType("resource").map((r) => r.name));
    const origin = new URL(page.url()).origin;
    expect(resources.length).toBeGreaterThan(0);
    for (const url of resources) expect(url.startsWith(origin)).toBe(true);
  });
});

describe("panel (dark)", () => {
  it("follows prefers-color-scheme", async () => {
    const { page } = await open(
      { locale: "es-ES", accounts: [account("tienda")], generate: { count: 40, unread: 12 } },
      { colorScheme: "dark" },
    );
    await page.locator(".notification").first().waitFor();
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = background.match(/\d+/g)!.map(Number);
    expect(r! + g! + b!).toBeLessThan(150);
    await screenshot(page, "panel-dark-es.png");
  });
});
