//! 10,000 notifications: the DOM stays small, keyset pages load as the list scrolls, focus-item finds deep items.
import { describe, expect, it } from "vitest";
import { translate } from "../src/lib/i18n";
import { account, type Scenario } from "./harness/scenario";
import { calls, emit, LANGS, screenshot, useApp } from "./support";

const { open } = useApp();
const TOTAL = 10_000;
/** Rows in view (about 6 at 76 px) plus overscan: far below the 10,000 items. */
const MAX_ROWS = 30;

const scenario = (locale: string): Scenario => ({
  locale,
  accounts: [account("tienda")],
  generate: { count: TOTAL, unread: "every-third" },
});

describe("10,000 notifications", () => {
  it("keeps the DOM small and pages through all of them with keyset cursors", async () => {
    const { page } = await open(scenario("es-ES"));
    await page.getByRole("tab", { name: translate("es", "tabs.all") }).click();
    await page.locator(".notification").first().waitFor();
    const viewport = page.locator(".viewport");
    const started = Date.now();
    let rows = 0;
    for (let round = 0; round < 80; round++) {
      rows = Math.max(rows, await page.locator(".notification").count());
      const done = await viewport.evaluate((el) => {
        el.scrollTop = el.scrollHeight;
        return el.querySelector(".row[aria-setsize]")?.getAttribute("aria-setsize") !== "-1";
      });
      if (done) break;
      await page.waitForTimeout(40);
    }
    const elapsed = Date.now() - started;
    expect(rows).toBeLessThanOrEqual(MAX_ROWS);
    expect(await page.locator(".notification").count()).toBeLessThanOrEqual(MAX_ROWS);
    await expect
      .poll(() => page.locator(".notification").last().getAttribute("data-id"))
      .toBe(String(100_000 - TOTAL + 1));
    expect(await page.locator(".row").last().getAttribute("aria-setsize")).toBe(String(TOTAL));
    expect(await page.locator(".row").last().getAttribute("aria-posinset")).toBe(String(TOTAL));

    // Each page asks for items strictly older than the last one of the page before.
    const all = calls(page, "list_notifications").then((c) => c.filter((x) => x.args.filter === "all"));
    const store = await page.evaluate(() =>
      window.__aviso.notifications().map((n) => ({ created_at: n.created_at, id: n.id, account: n.account })),
    );
    const pages = await all;
    expect(pages).toHaveLength(TOTAL / 200 + 1);
    pages.forEach((call, i) => {
      expect(call.args.limit).toBe(200);
      expect(call.args.before).toEqual(i === 0 ? null : store[i * 200 - 1]);
    });
    // Paging 10,000 rows through the view takes seconds, not minutes.
    expect(elapsed).toBeLessThan(20_000);
  });

  it("scrolls with the wheel, rendering only the rows in view", async () => {
    const { page } = await open(scenario("en-US"));
    await page.getByRole("tab", { name: "All" }).click();
    await page.locator(".notification").first().waitFor();
    await page.locator(".viewport").hover();
    const firstIndex = () => page.locator(".row").first().getAttribute("data-index").then(Number);
    for (let i = 0; i < 10; i++) await page.mouse.wheel(0, 600);
    await expect.poll(firstIndex).toBeGreaterThan(40);
    // Let the wheel's smooth scroll come to rest, then read the rows and their place in one go.
    const scrollTop = () => page.locator(".viewport").evaluate((el) => el.scrollTop);
    let last = -1;
    await expect
      .poll(async () => {
        const now = await scrollTop();
        const still = now === last;
        last = now;
        return still;
      })
      .toBe(true);
    const { indexes, offset } = await page.evaluate(() => {
      const vp = document.querySelector<HTMLElement>(".viewport")!;
      const rows = [...document.querySelectorAll<HTMLElement>(".row")];
      return {
        indexes: rows.map((e) => Number(e.dataset.index)),
        offset: rows[0]!.getBoundingClientRect().top - vp.getBoundingClientRect().top + vp.scrollTop,
      };
    });
    // A contiguous window of rows, nothing else.
    expect(indexes).toEqual(indexes.map((_, i) => indexes[0]! + i));
    expect(indexes.length).toBeLessThanOrEqual(MAX_ROWS);
    // The rows sit where their index says, so the list scrolls like one long list.
    expect(Math.round(offset)).toBe(indexes[0]! * 76);
  });
});

describe.each(LANGS)("panel://focus-item ($lang)", ({ lang, locale }) => {
  it("scrolls to a deep item and highlights it, switching to All for a read one", async () => {
    const { page } = await open(scenario(locale));
    await page.locator(".notification").first().waitFor();
    // Item 1,501 is read (only every third is unread) and 8 pages deep.
    const target = await page.evaluate(() => window.__aviso.notifications()[1501]!);
    expect(target.read).toBe(true);
    await emit(page, "panel://focus-item", { account: target.account, id: target.id });
    const row = page.locator(`.notification[data-id="${target.id}"]`);
    await row.waitFor();
    await expect.poll(() => row.getAttribute("aria-current")).toBe("true");
    expect(await row.evaluate((el) => el.classList.contains("highlighted"))).toBe(true);
    expect(
      await page.getByRole("tab", { name: translate(lang, "tabs.all") }).getAttribute("aria-selected"),
    ).toBe("true");
    // In view, inside the list's viewport.
    await expect
      .poll(() =>
        row.evaluate((el) => {
          const box = el.getBoundingClientRect();
          const vp = el.closest(".viewport")!.getBoundingClientRect();
          return box.top >= vp.top && box.bottom <= vp.bottom;
        }),
      )
      .toBe(true);
    if (lang === "es") await screenshot(page, "focus-es.png");

    // A second request for a nearby item moves the highlight there.
    const near = await page.evaluate(() => window.__aviso.notifications()[1495]!);
    await emit(page, "panel://focus-item", { account: near.account, id: near.id });
    await expect
      .poll(() => page.locator(`.notification[data-id="${near.id}"]`).getAttribute("aria-current"))
      .toBe("true");
    expect(await row.getAttribute("aria-current")).toBeNull();
  });

  it("comes back from settings to show the item", async () => {
    const { page } = await open(scenario(locale));
    await page.getByRole("button", { name: translate(lang, "panel.settings") }).click();
    await page.getByRole("heading", { name: translate(lang, "settings.title") }).waitFor();
    const target = await page.evaluate(() => window.__aviso.notifications()[3]!);
    await emit(page, "panel://focus-item", { account: target.account, id: target.id });
    await expect
      .poll(() => page.locator(`.notification[data-id="${target.id}"]`).getAttribute("aria-current"))
      .toBe("true");
  });
});
