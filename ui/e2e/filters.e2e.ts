//! The store and kind chips and the grouping by store, in Spanish and English: list_notifications narrowed and
//! ordered by the fake engine, unread counts from get_facets, the choice saved in Settings.view and back after a
//! reload (or all, when its store is gone), live inserts and search in the scope, and j/k past the store headers.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { translate, type MessageKey } from "../src/lib/i18n";
import { kindName } from "../src/lib/kinds";
import type { Notification, Settings } from "../src/lib/types";
import { account, type Scenario } from "./harness/scenario";
import { calls, emit, LANGS, screenshot, useApp } from "./support";

const { open } = useApp();

function note(id: string, store: string, kind: string, age: number, read = false): Notification {
  return {
    account: store,
    id,
    kind,
    title: `${kind} ${id}`,
    body: `Cliente Ana Pérez, pedido ${id}`,
    url: null,
    created_at: `@-${age}s`,
    read,
    data: null,
  };
}

const CENTRO = "tienda-centro";
const NORTE = "tienda-norte";
const NOTES: Notification[] = [
  note("n1", NORTE, "nueva_compra", 30),
  note("c1", CENTRO, "nueva_compra", 60),
  note("n2", NORTE, "stock_bajo", 100),
  note("c2", CENTRO, "stock_bajo", 200),
  note("c3", CENTRO, "nueva_compra", 300, true),
  note("n3", NORTE, "nueva_compra", 400),
  note("c4", CENTRO, "pago_procesado", 500),
  note("n4", NORTE, "stock_bajo", 600, true),
  note("n5", NORTE, "pedido_enviado", 700),
];
/** Unread, newest first across stores. */
const UNREAD = ["n1", "c1", "n2", "c2", "n3", "c4", "n5"];
/** Unread, grouped: tienda-centro before tienda-norte (name order, not the accounts' order). */
const GROUPED = ["c1", "c2", "c4", "n1", "n2", "n3", "n5"];

const ids = (page: Page) =>
  page.locator(".notification").evaluateAll((els) => els.map((e) => e.getAttribute("data-id")));
const storeChip = (page: Page, name: string) =>
  page.locator(`[data-filter=stores] button[data-store="${name}"]`);
const kindChip = (page: Page, kind: string) =>
  page.locator(`[data-filter=kinds] button[data-kind="${kind}"]`);
/** Each chip of a row: its value, the count it shows, whether it is chosen. */
const chips = (page: Page, row: "stores" | "kinds") =>
  page.locator(`[data-filter=${row}] button`).evaluateAll((els) =>
    els.map((e) => ({
      value: e.getAttribute("data-store") ?? e.getAttribute("data-kind"),
      count: e.querySelector(".count")?.textContent ?? null,
      pressed: e.getAttribute("aria-pressed") === "true",
    })),
  );
const lastList = async (page: Page) => (await calls(page, "list_notifications")).at(-1)?.args;
const savedView = async (page: Page) =>
  ((await calls(page, "set_settings")).at(-1)?.args.settings as Settings | undefined)?.view;
const focusedId = (page: Page) =>
  page.evaluate(() => document.activeElement?.closest(".notification")?.getAttribute("data-id") ?? null);

describe.each(LANGS)("filters ($lang)", ({ lang, locale }) => {
  const t = (key: MessageKey, vars?: Record<string, string | number>) => translate(lang, key, vars);
  const scenario = (patch: Partial<Scenario> = {}): Scenario => ({
    locale,
    accounts: [account(NORTE), account(CENTRO)],
    notifications: NOTES,
    ...patch,
  });

  async function ready(page: Page) {
    await page.locator(".notification").first().waitFor();
    await expect.poll(() => storeChip(page, CENTRO).locator(".count").textContent()).toBe("3");
  }

  it("a store chip narrows the list; the chips count unread per store and per kind", async () => {
    const { page } = await open(scenario());
    await ready(page);
    expect(await ids(page)).toEqual(UNREAD);
    expect(await page.getByRole("toolbar", { name: t("filters.stores") }).isVisible()).toBe(true);
    expect(await chips(page, "stores")).toEqual([
      { value: "", count: "7", pressed: true },
      { value: CENTRO, count: "3", pressed: false },
      { value: NORTE, count: "4", pressed: false },
    ]);
    // Kinds over every store: most notifications first, then by name.
    expect(await chips(page, "kinds")).toEqual([
      { value: "", count: "7", pressed: true },
      { value: "nueva_compra", count: "3", pressed: false },
      { value: "stock_bajo", count: "2", pressed: false },
      { value: "pago_procesado", count: "1", pressed: false },
      { value: "pedido_enviado", count: "1", pressed: false },
    ]);
    expect(await kindChip(page, "stock_bajo").locator(".label").textContent()).toBe(
      kindName(lang, "stock_bajo"),
    );
    expect(await storeChip(page, "").textContent()).toContain(t("filters.allStores"));
    // A screen reader hears the count in words.
    // (Chromium puts a space before the comma: the words are out of the flow, as visually hidden text is.)
    const named = new RegExp(`^${CENTRO}\\s*, ${t("filters.unread", { count: 3 })}$`);
    expect(await page.getByRole("button", { name: named }).getAttribute("data-store")).toBe(CENTRO);

    await storeChip(page, CENTRO).click();
    await expect.poll(() => ids(page)).toEqual(["c1", "c2", "c4"]);
    expect(await lastList(page)).toEqual({
      filter: "unread",
      before: null,
      limit: 200,
      account: CENTRO,
      kind: null,
      group: false,
    });
    expect((await calls(page, "get_facets")).at(-1)?.args).toEqual({ account: CENTRO });
    // The kinds are counted within the store now.
    await expect
      .poll(() => chips(page, "kinds"))
      .toEqual([
        { value: "", count: "3", pressed: true },
        { value: "nueva_compra", count: "1", pressed: false },
        { value: "pago_procesado", count: "1", pressed: false },
        { value: "stock_bajo", count: "1", pressed: false },
      ]);
    expect((await chips(page, "stores")).map((c) => c.pressed)).toEqual([false, true, false]);
    await expect.poll(() => savedView(page)).toEqual({ account: CENTRO, kind: null, group: false });
    await screenshot(page, `filters-${lang}.png`);

    // The same chip again shows every store.
    await storeChip(page, CENTRO).click();
    await expect.poll(() => ids(page)).toEqual(UNREAD);
    await expect.poll(() => savedView(page)).toEqual({ account: null, kind: null, group: false });
    // And "all" does too.
    await storeChip(page, NORTE).click();
    await expect.poll(() => ids(page)).toEqual(["n1", "n2", "n3", "n5"]);
    await storeChip(page, "").click();
    await expect.poll(() => ids(page)).toEqual(UNREAD);
  });

  it("a kind chip narrows the list, with the store chip or alone; its count follows reads", async () => {
    const { page } = await open(scenario());
    await ready(page);
    await kindChip(page, "stock_bajo").click();
    await expect.poll(() => ids(page)).toEqual(["n2", "c2"]);
    expect(await lastList(page)).toMatchObject({ account: null, kind: "stock_bajo", group: false });
    await storeChip(page, NORTE).click();
    await expect.poll(() => ids(page)).toEqual(["n2"]);
    expect(await lastList(page)).toMatchObject({ account: NORTE, kind: "stock_bajo" });

    // Read from the panel: the chips recount.
    const row = page.locator('.notification[data-id="n2"]');
    await row.hover();
    await row.getByRole("button", { name: t("item.markRead") }).click();
    await page.getByText(t("empty.filtered.unread")).waitFor();
    await expect.poll(() => storeChip(page, NORTE).locator(".count").textContent()).toBe("3");
    await expect.poll(() => kindChip(page, "stock_bajo").locator(".count").count()).toBe(0);
    // The empty list offers to show everything again.
    await page.getByRole("button", { name: t("filters.clear") }).click();
    await expect.poll(() => ids(page)).toEqual(UNREAD.filter((id) => id !== "n2"));
    expect((await chips(page, "stores"))[0]!.pressed).toBe(true);
    expect((await chips(page, "kinds"))[0]!.pressed).toBe(true);
  });

  it("works from the keyboard: one Tab stop per row of chips, arrows along it, Enter or Space chooses", async () => {
    const { page } = await open(scenario());
    await ready(page);
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        return (
          el?.getAttribute("data-store") ??
          el?.getAttribute("data-kind") ??
          el?.getAttribute("data-action") ??
          null
        );
      });
    await page.getByRole("tab", { name: new RegExp(t("tabs.unread")) }).focus();
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("");
    await page.keyboard.press("ArrowRight");
    expect(await focused()).toBe(CENTRO);
    await page.keyboard.press("End");
    expect(await focused()).toBe(NORTE);
    await page.keyboard.press("Enter");
    await expect.poll(() => ids(page)).toEqual(["n1", "n2", "n3", "n5"]);
    // Tab leaves the row for the grouping toggle, then the kinds' row, at its chosen chip.
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("group");
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    expect(await focused()).toBe("stock_bajo");
    await page.keyboard.press(" ");
    await expect.poll(() => ids(page)).toEqual(["n2"]);
    // Back into the stores' row from the list: its stop is the chosen store.
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    expect(await focused()).toBe(NORTE);
    await page.keyboard.press("Home");
    expect(await focused()).toBe("");
  });

  it("the choice survives a reload; a store that is gone falls back to all", async () => {
    const { page } = await open(scenario());
    await ready(page);
    await storeChip(page, CENTRO).click();
    await kindChip(page, "stock_bajo").click();
    await expect.poll(() => ids(page)).toEqual(["c2"]);
    await expect.poll(() => savedView(page)).toEqual({ account: CENTRO, kind: "stock_bajo", group: false });

    await page.reload();
    await page.locator(".notification").first().waitFor();
    expect(await ids(page)).toEqual(["c2"]);
    expect(await storeChip(page, CENTRO).getAttribute("aria-pressed")).toBe("true");
    expect(await kindChip(page, "stock_bajo").getAttribute("aria-pressed")).toBe("true");
    expect((await calls(page, "list_notifications"))[0]?.args).toMatchObject({
      account: CENTRO,
      kind: "stock_bajo",
    });
    // The first page already asked in the saved scope: nothing was listed before it.
    expect(await calls(page, "list_notifications")).toHaveLength(1);

    const gone = await open(
      scenario({
        settings: { view: { account: "tienda-cerrada", kind: "devolucion_solicitada", group: true } },
      }),
    );
    await gone.page.locator(".notification").first().waitFor();
    expect((await calls(gone.page, "list_notifications"))[0]?.args).toMatchObject({
      account: null,
      kind: null,
      group: true,
    });
    expect(await storeChip(gone.page, "").getAttribute("aria-pressed")).toBe("true");
    expect(await ids(gone.page)).toEqual(GROUPED);
  });

  it("a narrowed list takes in live notifications of its store and kind only; search keeps to the scope", async () => {
    const { page } = await open(scenario());
    await ready(page);
    await storeChip(page, CENTRO).click();
    await expect.poll(() => ids(page)).toEqual(["c1", "c2", "c4"]);
    await emit(page, "notifications://received", note("n9", NORTE, "nueva_compra", 1));
    await emit(page, "notifications://received", note("c9", CENTRO, "nueva_compra", 2));
    await expect.poll(() => ids(page)).toEqual(["c9", "c1", "c2", "c4"]);

    await page.getByLabel(t("search.label")).fill("pedido");
    await expect.poll(() => ids(page)).toEqual(["c1", "c2", "c4"]);
    expect((await calls(page, "search_notifications")).at(-1)?.args).toEqual({
      query: "pedido",
      filter: "unread",
      account: CENTRO,
      kind: null,
      before: null,
      limit: 100,
    });
    // A new scope, a new answer.
    await kindChip(page, "pago_procesado").click();
    await expect.poll(() => ids(page)).toEqual(["c4"]);
    expect((await calls(page, "search_notifications")).at(-1)?.args).toMatchObject({
      account: CENTRO,
      kind: "pago_procesado",
    });
  });

  it("grouped by store: a header before each store in name order; j/k and the arrows skip the headers", async () => {
    const { page } = await open(scenario());
    await ready(page);
    const toggle = page.getByRole("button", { name: t("filters.group") });
    expect(await toggle.getAttribute("aria-pressed")).toBe("false");
    await toggle.click();
    await expect.poll(() => ids(page)).toEqual(GROUPED);
    expect(await toggle.getAttribute("aria-pressed")).toBe("true");
    expect(await lastList(page)).toMatchObject({ account: null, kind: null, group: true });
    await expect.poll(() => savedView(page)).toEqual({ account: null, kind: null, group: true });
    const headers = () =>
      page.locator(".store").evaluateAll((els) =>
        els.map((e) => ({
          name: e.querySelector("h2")?.textContent,
          count: e.querySelector(".store-count")?.textContent,
        })),
      );
    expect(await headers()).toEqual([
      { name: CENTRO, count: t("panel.unreadCount", { count: 3 }) },
      { name: NORTE, count: t("panel.unreadCount", { count: 4 }) },
    ]);
    // Header, items, header, items: in that order on screen.
    const order = await page
      .locator(".rows > .row")
      .evaluateAll((els) =>
        els.map(
          (e) =>
            e.querySelector(".store h2")?.textContent ??
            e.querySelector(".notification")?.getAttribute("data-id"),
        ),
      );
    expect(order).toEqual([CENTRO, "c1", "c2", "c4", NORTE, "n1", "n2", "n3", "n5"]);
    await screenshot(page, `grouped-${lang}.png`);

    // Keys count notifications only.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press("j");
    await expect.poll(() => focusedId(page)).toBe("c1");
    const steps: [string, string][] = [
      ["j", "c2"],
      ["j", "c4"],
      ["j", "n1"],
      ["k", "c4"],
      ["ArrowDown", "n1"],
      ["ArrowDown", "n2"],
      ["End", "n5"],
      ["Home", "c1"],
      ["k", "c1"],
    ];
    for (const [key, id] of steps) {
      await page.keyboard.press(key);
      await expect.poll(() => focusedId(page), { message: `${key} → ${id}` }).toBe(id);
    }
    // Read from the keyboard: the next notification takes the focus, past the next store's header.
    await page.keyboard.press("End");
    await page.keyboard.press("k");
    await page.keyboard.press("k");
    await page.keyboard.press("k");
    await page.keyboard.press("k");
    await expect.poll(() => focusedId(page)).toBe("c4");
    await page.keyboard.press("e");
    await expect.poll(() => ids(page)).toEqual(GROUPED.filter((id) => id !== "c4"));
    await expect.poll(() => focusedId(page)).toBe("n1");

    // A live notification goes into its store's group.
    await emit(page, "notifications://received", note("c9", CENTRO, "nueva_compra", 1));
    await expect.poll(() => ids(page)).toEqual(["c9", "c1", "c2", "n1", "n2", "n3", "n5"]);
    expect(await calls(page, "open_notification")).toEqual([]);
  });
});
