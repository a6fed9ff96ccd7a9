//! Search in the panel, in Spanish and English: as you type, matched pieces marked as text (hostile text stays
//! text), Esc and the clear button, `/` to the box and arrows into the hits, the tab's filter and "search all",
//! hits following reads.
import { describe, expect, it } from "vitest";
import type { Notification } from "../src/lib/types";
import { translate } from "../src/lib/i18n";
import { account, type Scenario } from "./harness/scenario";
import { calls, LANGS, screenshot, useApp } from "./support";

const { open } = useApp();

const HOSTILE = "<img src=x onerror=alert(1)>";

function note(id: string, age: number, patch: Partial<Notification>): Notification {
  return {
    account: "tienda",
    id,
    kind: "nueva_compra",
    title: "Nueva Compra Realizada",
    body: "",
    url: null,
    created_at: `@-${age}s`,
    read: false,
    data: null,
    ...patch,
  };
}

const NOTES: Notification[] = [
  note("6", 60, {
    kind: "devolucion_solicitada",
    title: "Devolución solicitada",
    body: `Ana Pérez pidió devolver ${HOSTILE} «Silla»`,
  }),
  note("5", 120, { body: "Cliente Luis PEREZ realizó compra #1043 por $350.00" }),
  note("4", 180, { kind: "stock_bajo", title: "Stock bajo", body: "Quedan 2 unidades de «Monitor»" }),
  note("3", 240, {
    kind: "pago_procesado",
    title: "Pago procesado",
    body: "Pago confirmado",
    data: { cliente: "Pérez" },
  }),
  note("2", 300, { body: "Cliente María Pérez realizó compra #1041", read: true }),
  note("1", 360, { kind: "pedido_enviado", title: "Pedido enviado", body: "Salió con Courier Express" }),
];

describe.each(LANGS)("search ($lang)", ({ lang, locale }) => {
  const t = (key: Parameters<typeof translate>[1], vars?: Record<string, string | number>) =>
    translate(lang, key, vars);
  const scenario = (patch: Partial<Scenario> = {}): Scenario => ({
    locale,
    accounts: [account("tienda")],
    notifications: NOTES,
    ...patch,
  });
  const box = (page: Awaited<ReturnType<typeof open>>["page"]) => page.getByLabel(t("search.label"));
  const ids = (page: Awaited<ReturnType<typeof open>>["page"]) =>
    page.locator(".notification").evaluateAll((els) => els.map((e) => e.getAttribute("data-id")));
  const marks = (page: Awaited<ReturnType<typeof open>>["page"]) =>
    page.locator(".notification mark").evaluateAll((els) => els.map((e) => e.textContent));

  it("searches as you type, accents and case ignored, and marks the matched pieces as text", async () => {
    const { page } = await open(scenario());
    await page.locator(".notification").first().waitFor();
    expect(await box(page).getAttribute("placeholder")).toBe(t("search.placeholder"));
    await box(page).pressSequentially("perez", { delay: 30 });
    // Unread tab: the read one (2) is left out; 3 matches in its payload only.
    await expect.poll(() => ids(page)).toEqual(["6", "5", "3"]);
    await expect.poll(() => marks(page)).toEqual(["Pérez", "PEREZ"]);
    const first = page.locator(".notification").first();
    // Marking never changes the text, and hostile text stays text.
    expect(await first.locator(".body").textContent()).toBe(NOTES[0]!.body);
    expect(await first.locator(".title").textContent()).toBe(NOTES[0]!.title);
    const injected = await page.evaluate(() => ({
      images: document.images.length,
      tags: [...document.querySelectorAll(".notification .title *, .notification .body *")].map((e) =>
        e.tagName.toLowerCase(),
      ),
    }));
    expect(injected).toEqual({ images: 0, tags: ["mark", "mark"] });
    const last = (await calls(page, "search_notifications")).at(-1);
    expect(last?.args).toEqual({
      query: "perez",
      filter: "unread",
      account: null,
      kind: null,
      before: null,
      limit: 100,
    });
    await screenshot(page, `search-${lang}.png`);

    // A prefix of two words, as typed.
    await box(page).fill("dev ana");
    await expect.poll(() => ids(page)).toEqual(["6"]);
    await expect.poll(() => marks(page)).toEqual(["Dev", "Ana", "dev"]);
  });

  it("Esc and the clear button give the list back", async () => {
    const { page } = await open(scenario());
    await page.locator(".notification").first().waitFor();
    const list = await ids(page);
    await box(page).fill("stock");
    await expect.poll(() => ids(page)).toEqual(["4"]);
    await box(page).press("Escape");
    expect(await box(page).inputValue()).toBe("");
    await expect.poll(() => ids(page)).toEqual(list);
    expect(await marks(page)).toEqual([]);
    await box(page).fill("courier");
    await expect.poll(() => ids(page)).toEqual(["1"]);
    await page.getByRole("button", { name: t("search.clear") }).click();
    await expect.poll(() => ids(page)).toEqual(list);
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-action"))).toBe("search");
    // Punctuation alone searches nothing: the list stays.
    await box(page).fill('" * -');
    await page.waitForTimeout(300);
    expect(await ids(page)).toEqual(list);
  });

  it("/ focuses the box; arrows go into the hits; Enter opens one", async () => {
    const { page } = await open(scenario());
    await page.locator(".notification").first().waitFor();
    await page.locator(".notification .open").first().focus();
    await page.keyboard.press("/");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-action"))).toBe("search");
    expect(await box(page).inputValue(), "the slash is not typed").toBe("");
    await page.keyboard.type("compra");
    await expect.poll(() => ids(page)).toEqual(["5"]);
    await box(page).fill("perez");
    await expect.poll(() => ids(page)).toEqual(["6", "5", "3"]);
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    const focused = () =>
      page.evaluate(() => document.activeElement?.closest(".notification")?.getAttribute("data-id"));
    await expect.poll(focused).toBe("5");
    await page.keyboard.press("Enter");
    await expect
      .poll(() => calls(page, "open_notification"))
      .toEqual([{ cmd: "open_notification", args: { account: "tienda", id: "5" } }]);
    // Opened is read: it leaves the unread hits, as it leaves the unread list.
    await expect.poll(() => ids(page)).toEqual(["6", "3"]);
    // Typed in the box, a slash is text.
    await box(page).fill("a/b");
    expect(await box(page).inputValue()).toBe("a/b");
  });

  it("searches the tab's list, and offers all when no unread one matches", async () => {
    const { page } = await open(scenario());
    await page.locator(".notification").first().waitFor();
    await box(page).fill("maria");
    await page.getByText(t("search.none.title")).waitFor();
    expect(await page.getByText(t("search.none.unreadBody", { query: "maria" })).isVisible()).toBe(true);
    await page.getByRole("button", { name: t("search.inAll") }).click();
    await expect.poll(() => ids(page)).toEqual(["2"]);
    expect(await page.getByRole("tab", { name: t("tabs.all") }).getAttribute("aria-selected")).toBe("true");
    expect(await page.locator(".notification.unread").count()).toBe(0);
    await box(page).fill("zzz");
    await page.getByText(t("search.none.body", { query: "zzz" })).waitFor();
    // In "All", a hit marked read stays and dims.
    await box(page).fill("luis");
    await expect.poll(() => ids(page)).toEqual(["5"]);
    const hit = page.locator(".notification").first();
    await hit.hover();
    await hit.getByRole("button", { name: t("item.markRead") }).click();
    await expect.poll(() => page.locator(".notification.unread").count()).toBe(0);
    expect(await ids(page)).toEqual(["5"]);
  });
});
