//! The panel from the keyboard, in Spanish and English: j/k and the arrows between rows (list and search hits),
//! Enter opens, e and Space mark read, `/` to the search box, Esc one step back (sheet, search, views), letters
//! typed in a text field stay text, and the focused row's ring in both themes.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { translate, type MessageKey } from "../src/lib/i18n";
import type { Notification } from "../src/lib/types";
import { account, type Scenario } from "./harness/scenario";
import { calls, LANGS, useApp } from "./support";

const { open } = useApp();

function note(id: number, read: boolean): Notification {
  return {
    account: "tienda",
    id: String(id),
    kind: "nueva_compra",
    title: `Nueva Compra #${id}`,
    body: `Cliente Ana Pérez realizó compra #${1000 + id}`,
    url: null,
    created_at: `@-${(10 - id) * 60}s`,
    read,
    data: null,
  };
}

/** Newest first: 8 … 1; 5 and 2 are read. */
const NOTES = [8, 7, 6, 5, 4, 3, 2, 1].map((id) => note(id, id === 5 || id === 2));
const UNREAD = ["8", "7", "6", "4", "3", "1"];
const ALL = ["8", "7", "6", "5", "4", "3", "2", "1"];

/** What has the focus: the notification row it is in (and whether it is the row's own button), or its action. */
function focused(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return {
      id: el?.closest(".notification")?.getAttribute("data-id") ?? null,
      row: el?.classList.contains("open") ?? false,
      action: el?.getAttribute("data-action") ?? null,
      body: el === document.body,
    };
  });
}
const focusedId = async (page: Page) => (await focused(page)).id;
const ids = (page: Page) =>
  page.locator(".notification").evaluateAll((els) => els.map((e) => e.getAttribute("data-id")));
const args = async (page: Page, cmd: string) => (await calls(page, cmd)).map((c) => c.args);

/**
 * The focused element's outline, and its contrast (WCAG) against what is behind it: the element's own background
 * over its ancestors', composited down to the first opaque one.
 */
function ring(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const style = getComputedStyle(el);
    const rgba = (text: string) => {
      const [r = 0, g = 0, b = 0, a = 1] = text.match(/[\d.]+/g)!.map(Number);
      return { r, g, b, a: text.startsWith("rgba") ? a : 1 };
    };
    const layers = [];
    for (let node: HTMLElement | null = el; node; node = node.parentElement) {
      const layer = rgba(getComputedStyle(node).backgroundColor);
      if (layer.a > 0) layers.push(layer);
      if (layer.a === 1) break;
    }
    let under = { r: 255, g: 255, b: 255 };
    for (const layer of layers.reverse()) {
      under = {
        r: layer.r * layer.a + under.r * (1 - layer.a),
        g: layer.g * layer.a + under.g * (1 - layer.a),
        b: layer.b * layer.a + under.b * (1 - layer.a),
      };
    }
    const luminance = ({ r, g, b }: { r: number; g: number; b: number }) => {
      const lin = (c: number) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const [a, b] = [luminance(rgba(style.outlineColor)), luminance(under)];
    return {
      style: style.outlineStyle,
      width: parseFloat(style.outlineWidth),
      contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
    };
  });
}

describe.each(LANGS)("keyboard ($lang)", ({ lang, locale }) => {
  const t = (key: MessageKey, vars?: Record<string, string | number>) => translate(lang, key, vars);
  const scenario = (patch: Partial<Scenario> = {}): Scenario => ({
    locale,
    accounts: [account("tienda")],
    notifications: NOTES,
    ...patch,
  });
  const box = (page: Page) => page.getByLabel(t("search.label"));

  async function ready(page: Page, tab: "unread" | "all" = "unread") {
    await page.locator(".notification").first().waitFor();
    if (tab === "all") {
      await page.getByRole("tab", { name: t("tabs.all") }).click();
      await expect.poll(() => ids(page)).toEqual(ALL);
      // The click left the focus on the tab: back to nothing focused.
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    }
  }

  it("moves between rows with j/k and the arrows (and PageDown, End, Home); with nothing focused, j enters", async () => {
    const { page } = await open(scenario());
    await ready(page);
    expect((await focused(page)).body).toBe(true);
    await page.keyboard.press("j");
    await expect.poll(() => focused(page)).toMatchObject({ id: UNREAD[0], row: true });
    const steps: [string, string][] = [
      ["j", UNREAD[1]!],
      ["j", UNREAD[2]!],
      ["k", UNREAD[1]!],
      ["ArrowDown", UNREAD[2]!],
      ["ArrowDown", UNREAD[3]!],
      ["ArrowUp", UNREAD[2]!],
      ["End", UNREAD[5]!],
      ["j", UNREAD[5]!],
      ["Home", UNREAD[0]!],
      ["k", UNREAD[0]!],
      ["PageDown", UNREAD[5]!],
    ];
    for (const [key, id] of steps) {
      await page.keyboard.press(key);
      await expect.poll(() => focusedId(page), { message: `${key} → ${id}` }).toBe(id);
    }
    // A capital J (Shift) is not a move.
    await page.keyboard.press("Home");
    await page.keyboard.press("Shift+J");
    await page.waitForTimeout(100);
    expect(await focusedId(page)).toBe(UNREAD[0]);
    // Nothing was opened or marked on the way.
    expect(await calls(page, "open_notification")).toEqual([]);
    expect(await calls(page, "mark_read")).toEqual([]);
  });

  it("Enter opens the focused notification with open_notification; the next row takes the focus", async () => {
    const { page } = await open(scenario());
    await ready(page);
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    await expect.poll(() => focusedId(page)).toBe(UNREAD[1]);
    await page.keyboard.press("Enter");
    await expect.poll(() => args(page, "open_notification")).toEqual([{ account: "tienda", id: UNREAD[1] }]);
    // Opened is read: it leaves the unread list, and the row now in its place has the focus.
    await expect.poll(() => ids(page)).toEqual(UNREAD.filter((id) => id !== UNREAD[1]));
    await expect.poll(() => focused(page)).toMatchObject({ id: UNREAD[2], row: true });
    expect(await calls(page, "mark_read")).toEqual([]);
  });

  it("e and Space mark the focused notification read with mark_read, and the focus goes on", async () => {
    const { page } = await open(scenario());
    await ready(page);
    await page.keyboard.press("j");
    await expect.poll(() => focusedId(page)).toBe(UNREAD[0]);
    await page.keyboard.press("e");
    await expect.poll(() => args(page, "mark_read")).toEqual([{ account: "tienda", ids: [UNREAD[0]] }]);
    await expect.poll(() => ids(page)).toEqual(UNREAD.slice(1));
    await expect.poll(() => focused(page)).toMatchObject({ id: UNREAD[1], row: true });
    await page.keyboard.press(" ");
    await expect
      .poll(() => args(page, "mark_read"))
      .toEqual([
        { account: "tienda", ids: [UNREAD[0]] },
        { account: "tienda", ids: [UNREAD[1]] },
      ]);
    await expect.poll(() => ids(page)).toEqual(UNREAD.slice(2));
    await expect.poll(() => focusedId(page)).toBe(UNREAD[2]);
    await expect
      .poll(() => page.locator("header .count").textContent())
      .toBe(t("panel.unreadCount", { count: UNREAD.length - 2 }));
    // Space marked read; it did not also press the row's button (that would open it).
    expect(await calls(page, "open_notification")).toEqual([]);
  });

  it("e and Space do nothing on a read row; on an unread row of All it dims and keeps the focus", async () => {
    const { page } = await open(scenario());
    await ready(page, "all");
    await page.keyboard.press("j");
    for (let i = 0; i < 3; i++) await page.keyboard.press("j");
    await expect.poll(() => focusedId(page)).toBe("5");
    await page.keyboard.press("e");
    await page.keyboard.press(" ");
    await page.waitForTimeout(200);
    expect(await calls(page, "mark_read")).toEqual([]);
    expect(await calls(page, "open_notification")).toEqual([]);
    expect(await focusedId(page)).toBe("5");
    await page.keyboard.press("k");
    await page.keyboard.press("e");
    await expect.poll(() => args(page, "mark_read")).toEqual([{ account: "tienda", ids: ["6"] }]);
    await expect.poll(() => page.locator('.notification[data-id="6"].unread').count()).toBe(0);
    expect(await ids(page)).toEqual(ALL);
    expect(await focused(page)).toMatchObject({ id: "6", row: true });
  });

  it("on a row's small buttons, Enter and Space press that button, not the row's", async () => {
    const { page } = await open(scenario());
    await ready(page);
    const row = page.locator(`.notification[data-id="${UNREAD[0]}"]`);
    await row.getByRole("button", { name: t("item.markRead") }).focus();
    await page.keyboard.press(" ");
    await expect.poll(() => args(page, "mark_read")).toEqual([{ account: "tienda", ids: [UNREAD[0]] }]);
    await page.locator(`.notification[data-id="${UNREAD[1]}"] button[data-action=snooze]`).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("dialog", { name: t("item.snooze") }).waitFor();
    expect(await calls(page, "open_notification")).toEqual([]);
  });

  it("search hits take the same keys: arrows in, j/k, e and Space mark read, Enter opens", async () => {
    const { page } = await open(scenario());
    await ready(page);
    await box(page).fill("cliente");
    await expect.poll(() => page.locator(".notification mark").count()).toBeGreaterThan(0);
    await expect.poll(() => ids(page)).toEqual(UNREAD);
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => focused(page)).toMatchObject({ id: UNREAD[0], row: true });
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    await expect.poll(() => focusedId(page)).toBe(UNREAD[2]);
    await page.keyboard.press("k");
    await expect.poll(() => focusedId(page)).toBe(UNREAD[1]);
    await page.keyboard.press("e");
    await expect.poll(() => args(page, "mark_read")).toEqual([{ account: "tienda", ids: [UNREAD[1]] }]);
    // Read, it leaves the unread hits; the hit now in its place has the focus.
    await expect.poll(() => ids(page)).toEqual(UNREAD.filter((id) => id !== UNREAD[1]));
    await expect.poll(() => focusedId(page)).toBe(UNREAD[2]);
    await page.keyboard.press(" ");
    await expect
      .poll(async () => (await args(page, "mark_read")).at(-1))
      .toEqual({
        account: "tienda",
        ids: [UNREAD[2]],
      });
    await expect.poll(() => focusedId(page)).toBe(UNREAD[3]);
    await page.keyboard.press("Enter");
    await expect.poll(() => args(page, "open_notification")).toEqual([{ account: "tienda", id: UNREAD[3] }]);
    // The box kept its query all along.
    expect(await box(page).inputValue()).toBe("cliente");
  });

  it("j, k, e, Space and / typed in the search box are text", async () => {
    const { page } = await open(scenario());
    await ready(page);
    await page.keyboard.press("j");
    await expect.poll(() => focusedId(page)).toBe(UNREAD[0]);
    await page.keyboard.press("/");
    await expect.poll(() => focused(page)).toMatchObject({ action: "search" });
    expect(await box(page).inputValue(), "the slash that focused the box is not typed").toBe("");
    await page.keyboard.type("jek e/k");
    expect(await box(page).inputValue()).toBe("jek e/k");
    expect((await focused(page)).action).toBe("search");
    await page.keyboard.press("Home");
    await page.keyboard.press("End");
    expect((await focused(page)).action).toBe("search");
    await page.waitForTimeout(300);
    expect(await calls(page, "mark_read")).toEqual([]);
    expect(await calls(page, "open_notification")).toEqual([]);
  });

  it("/ focuses the search box from nothing focused, and from the Live tab", async () => {
    const { page } = await open(
      scenario({
        streams: [
          {
            account: "tienda",
            channel: "ventas/hoy",
            state: "open",
            last_update: null,
            event: null,
            data: 1,
          },
        ],
      }),
    );
    await ready(page);
    await page.keyboard.press("/");
    await expect.poll(() => focused(page)).toMatchObject({ action: "search" });
    await page.getByRole("tab", { name: t("tabs.live") }).click();
    await page.locator(".channel").waitFor();
    await page.keyboard.press("/");
    await expect.poll(() => focused(page)).toMatchObject({ action: "search" });
    expect(
      await page.getByRole("tab", { name: new RegExp(t("tabs.unread")) }).getAttribute("aria-selected"),
    ).toBe("true");
  });

  it("Esc closes the search from a hit (back to the emptied box), then leaves the box, then does nothing", async () => {
    const { page } = await open(scenario());
    await ready(page);
    await box(page).fill("compra #1003");
    await expect.poll(() => ids(page)).toEqual(["3"]);
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => focusedId(page)).toBe("3");
    await page.keyboard.press("Escape");
    await expect.poll(() => ids(page)).toEqual(UNREAD);
    expect(await box(page).inputValue()).toBe("");
    expect((await focused(page)).action).toBe("search");
    await page.keyboard.press("Escape");
    await expect.poll(async () => (await focused(page)).body).toBe(true);
    await page.keyboard.press("Escape");
    await page.waitForTimeout(100);
    expect(await page.locator(".app").getAttribute("data-screen")).toBe("panel");
    expect(await ids(page)).toEqual(UNREAD);
    expect(await calls(page, "mark_read")).toEqual([]);
    expect(await calls(page, "mark_all_read")).toEqual([]);
  });

  it("Esc closes the snooze sheet, from inside it or not, and gives the focus back", async () => {
    const { page } = await open(scenario());
    await ready(page);
    const snooze = page.locator(`.notification[data-id="${UNREAD[0]}"] button[data-action=snooze]`);
    await snooze.focus();
    await page.keyboard.press("Enter");
    const sheet = page.getByRole("dialog", { name: t("item.snooze") });
    await sheet.waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute("role"))).toBe("dialog");
    await page.keyboard.press("Escape");
    await expect.poll(() => sheet.count()).toBe(0);
    expect(await focused(page)).toMatchObject({ id: UNREAD[0], action: "snooze" });
    // Opened again, with the focus moved out of it (to the search box): Esc still closes the sheet first.
    await page.keyboard.press("Enter");
    await sheet.waitFor();
    await box(page).focus();
    await page.keyboard.press("Escape");
    await expect.poll(() => sheet.count()).toBe(0);
    expect(await calls(page, "snooze")).toEqual([]);
  });

  it("Esc goes back to the list from settings and from the health view; in a field it leaves the field first", async () => {
    const { page } = await open(
      scenario({ policy: { rules: [{ name: "pagos", kind: "pago_*", action: "quiet" }] } }),
    );
    await ready(page);
    const tabs = page.getByRole("tab", { name: t("tabs.all") });
    await page.getByRole("button", { name: t("panel.settings") }).click();
    await page.getByRole("heading", { name: t("settings.title") }).waitFor();
    const name = page.locator("section[data-section='rules'] input[name='name']");
    await name.focus();
    await page.keyboard.type("jk");
    await page.keyboard.press("Escape");
    expect(await page.locator(".app").getAttribute("data-screen")).toBe("settings");
    expect((await focused(page)).body).toBe(true);
    expect(await name.inputValue()).toBe("pagosjk");
    await page.keyboard.press("Escape");
    await tabs.waitFor();
    expect(await page.locator(".app").getAttribute("data-screen")).toBe("panel");

    await page.getByRole("button", { name: t("panel.health"), exact: true }).click();
    await page.getByRole("heading", { name: t("health.title"), level: 1 }).waitFor();
    await page.keyboard.press("Escape");
    await tabs.waitFor();
    expect(await page.locator(".app").getAttribute("data-screen")).toBe("panel");
  });

  it("Esc puts off a login that can wait, and does nothing on the login of a first account", async () => {
    const { page } = await open(scenario());
    await ready(page);
    await page.getByRole("button", { name: t("panel.settings") }).click();
    await page.getByRole("button", { name: t("settings.addAccount") }).click();
    await page.getByRole("heading", { name: t("login.title") }).waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("tab", { name: t("tabs.all") }).waitFor();
    expect(await page.locator(".app").getAttribute("data-screen")).toBe("panel");

    const first = await open(scenario({ accounts: [] }));
    await first.page.getByRole("heading", { name: t("login.title") }).waitFor();
    await first.page.keyboard.press("Escape");
    await first.page.waitForTimeout(100);
    expect(await first.page.locator(".app").getAttribute("data-screen")).toBe("login");
  });
});

describe.each(["light", "dark"] as const)("keyboard focus ring (%s)", (theme) => {
  it("shows a solid 2px ring over 3:1 against the row, and the row's small buttons", async () => {
    const { page } = await open(
      { locale: "es-ES", accounts: [account("tienda")], notifications: NOTES },
      { colorScheme: theme },
    );
    await page.locator(".notification").first().waitFor();
    await page.keyboard.press("j");
    await expect.poll(() => focusedId(page)).toBe(UNREAD[0]);
    const plain = await ring(page);
    expect(plain.style).toBe("solid");
    expect(plain.width).toBeGreaterThanOrEqual(2);
    expect(plain.contrast).toBeGreaterThanOrEqual(3);
    // The small buttons of the focused row show (they hide until hover otherwise).
    const mark = page.locator(`.notification[data-id="${UNREAD[0]}"] .mark`);
    await expect.poll(() => mark.evaluate((el) => getComputedStyle(el).opacity)).toBe("1");
  });
});
