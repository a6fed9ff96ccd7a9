//! The connection health view in Spanish and English: every fact of get_health as text, reasons in words, "—" for
//! what is missing, reconnect / test pop-up / copy diagnostics, the 1 s poll, keyboard and dark theme.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { translate, type MessageKey } from "../src/lib/i18n";
import { account, health, type Scenario } from "./harness/scenario";
import { calls, LANGS, useApp } from "./support";

const { open } = useApp();

/** Today at this local time, as the wire's RFC 3339 UTC. */
function today(hour: number, minute: number): string {
  const at = new Date();
  at.setHours(hour, minute, 0, 0);
  return at.toISOString();
}
const NEXT_YEAR = new Date().getFullYear() + 1;

/** English times carry a narrow no-break space before AM/PM: compare with plain spaces. */
const spaces = (text: string | null) => (text ?? "").replace(/[\u202f\u00a0]/g, " ").trim();

const DIAGNOSTICS = "Aviso 0.1.0 diagnostics\n[tienda] https://tienda.example/\nstate: live (websocket)";

const SCENARIO = (locale: string): Scenario => ({
  locale,
  generate: { count: 20, unread: 5 },
  accounts: [
    account("tienda"),
    account("sucursal", { state: "backoff", transport: null, detail: "dead_peer", next_retry_at: "@+30s" }),
  ],
  health: [
    health("tienda", {
      server: "https://tienda.example/",
      state: "live",
      transport: "websocket",
      detail: "",
      connected_since: today(10, 32),
      last_event: {
        at: today(10, 41),
        kind: "nueva_compra",
        title: "Compra #5012 <img src=x onerror=alert(1)>",
      },
      rtt_ms: 42,
      reconnects_today: 2,
      reconnect_reasons: { dead_peer: 2 },
      last_catch_up: { at: today(10, 32), items: 3, ok: true },
      queued_marks: 0,
      unread: 5,
      token_expires_at: new Date(NEXT_YEAR, 10, 17, 9, 5).toISOString(),
      store_bytes: 2_400_000,
    }),
    health("sucursal", {
      server: "https://sucursal.example/",
      state: "backoff",
      transport: null,
      detail: "dead_peer",
      connected_since: null,
      last_event: null,
      rtt_ms: null,
      reconnects_today: 3,
      reconnect_reasons: { timeout: 1, dead_peer: 2 },
      next_retry_at: "@+30s",
      last_catch_up: { at: today(9, 15), items: 0, ok: false },
      queued_marks: 4,
      unread: 1234,
      token_expires_at: null,
      store_bytes: 1536,
    }),
  ],
  diagnostics: DIAGNOSTICS,
});

describe.each(LANGS)("connection health ($lang)", ({ lang, locale }) => {
  const t = (key: MessageKey, vars?: Record<string, string | number>) => translate(lang, key, vars);
  const es = lang === "es";
  const card = (page: Page, name: string) => page.locator(`.card[data-account="${name}"]`);
  const fact = async (page: Page, name: string, id: string) =>
    spaces(await card(page, name).locator(`[data-fact="${id}"] .value`).textContent());
  const label = async (page: Page, name: string, id: string) =>
    (await card(page, name).locator(`[data-fact="${id}"] dt`).textContent())?.trim();

  async function openHealth(page: Page): Promise<void> {
    await page
      .getByRole("button", { name: es ? "Estado de la conexión" : "Connection health", exact: true })
      .click();
    await page.getByRole("heading", { name: t("health.title"), level: 1 }).waitFor();
    await card(page, "sucursal").waitFor();
  }

  it("opens from the panel and shows both accounts' facts as text", async () => {
    const { page } = await open(SCENARIO(locale));
    await openHealth(page);
    expect(await page.locator(".app").getAttribute("data-screen")).toBe("health");
    expect(await page.locator(".card h2").allTextContents()).toEqual(["tienda", "sucursal"]);
    expect((await calls(page, "get_health"))[0]?.args).toEqual({ account: null });

    // tienda: live, everything known.
    const tienda = card(page, "tienda");
    expect(await tienda.locator(".server").textContent()).toBe("https://tienda.example/");
    expect(await tienda.locator(".status").textContent()).toBe(
      es ? "Conectado (WebSocket)" : "Connected (WebSocket)",
    );
    expect(await tienda.locator(".reason").count()).toBe(0);
    expect(await label(page, "tienda", "since")).toBe(es ? "Conectado desde" : "Connected since");
    expect(await fact(page, "tienda", "since")).toBe(es ? "10:32" : "10:32 AM");
    expect(await fact(page, "tienda", "transport")).toBe("WebSocket");
    expect(await fact(page, "tienda", "last_event")).toBe(
      es
        ? "10:41 · nueva_compra · Compra #5012 <img src=x onerror=alert(1)>"
        : "10:41 AM · nueva_compra · Compra #5012 <img src=x onerror=alert(1)>",
    );
    expect(await page.evaluate(() => document.images.length)).toBe(0);
    expect(await fact(page, "tienda", "rtt")).toBe("42 ms");
    expect(await fact(page, "tienda", "reconnects")).toBe("2");
    expect(await fact(page, "tienda", "catch_up")).toBe(es ? "10:32 · 3 nuevas" : "10:32 AM · 3 new");
    expect(await fact(page, "tienda", "queued")).toBe("0");
    expect(await fact(page, "tienda", "unread")).toBe("5");
    expect(await fact(page, "tienda", "token")).toBe(
      es ? `17 nov ${NEXT_YEAR}, 09:05` : `Nov 17, ${NEXT_YEAR}, 09:05 AM`,
    );
    expect(await fact(page, "tienda", "store")).toBe(es ? "2,3 MB" : "2.3 MB");
    expect(await tienda.locator('[data-fact="retry"]').count()).toBe(0);

    // sucursal: backing off after a dead peer; what is not known reads "—".
    const sucursal = card(page, "sucursal");
    expect(await sucursal.locator(".status").textContent()).toMatch(
      es ? /^Reconectando en (29|30) s$/ : /^Reconnecting in (29|30) s$/,
    );
    expect(await sucursal.locator(".reason").textContent()).toBe(
      es
        ? "El servidor dejó de responder; Aviso está restableciendo la conexión."
        : "The server stopped responding; Aviso is re-establishing the connection.",
    );
    for (const id of ["transport", "since", "last_event", "rtt", "token"]) {
      expect(await fact(page, "sucursal", id), id).toBe("—");
    }
    expect(await fact(page, "sucursal", "retry")).toMatch(es ? /^en (29|30) s$/ : /^in (29|30) s$/);
    expect(await fact(page, "sucursal", "reconnects")).toBe("3");
    expect(
      (await sucursal.locator(".reasons li").allTextContents()).map((text) =>
        text.replace(/\s+/g, " ").trim(),
      ),
    ).toEqual(
      es
        ? [
            "2 × El servidor dejó de responder; Aviso está restableciendo la conexión.",
            "1 × El servidor tardó demasiado en responder.",
          ]
        : [
            "2 × The server stopped responding; Aviso is re-establishing the connection.",
            "1 × The server took too long to answer.",
          ],
    );
    expect(await fact(page, "sucursal", "catch_up")).toBe(es ? "09:15 · falló" : "09:15 AM · failed");
    expect(await fact(page, "sucursal", "queued")).toBe("4");
    expect(await fact(page, "sucursal", "unread")).toBe(es ? "1234" : "1,234");
    expect(await fact(page, "sucursal", "store")).toBe(es ? "1,5 KB" : "1.5 KB");

    // Light theme: cards on the light surface.
    expect(await tienda.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe("rgb(255, 255, 255)");
  });

  it("'Reconectar ahora' calls reconnect for that account, busy meanwhile, and the poll shows it", async () => {
    const { page } = await open({ ...SCENARIO(locale), reconnectMs: 1500, delays: { reconnect: 600 } });
    await openHealth(page);
    const button = card(page, "sucursal").getByRole("button", { name: t("health.reconnect") });
    expect((await button.textContent())?.trim()).toBe(es ? "Reconectar ahora" : "Reconnect now");
    await button.click();
    await expect
      .poll(async () => (await calls(page, "reconnect")).map((c) => c.args))
      .toEqual([{ account: "sucursal" }]);
    // Busy until the shell answers; the other account's button is not.
    const busy = card(page, "sucursal").locator('[data-action="reconnect"]');
    expect((await busy.textContent())?.trim()).toBe(es ? "Reconectando…" : "Reconnecting…");
    expect(await busy.isDisabled()).toBe(true);
    expect(await card(page, "tienda").locator('[data-action="reconnect"]').isDisabled()).toBe(false);
    await expect.poll(() => busy.isDisabled()).toBe(false);
    expect((await busy.textContent())?.trim()).toBe(es ? "Reconectar ahora" : "Reconnect now");
    await expect
      .poll(() => card(page, "sucursal").locator(".status").textContent())
      .toBe(es ? "Conectando…" : "Connecting…");
    await expect
      .poll(() => card(page, "sucursal").locator(".status").textContent(), { timeout: 5000 })
      .toBe(es ? "Conectado (WebSocket)" : "Connected (WebSocket)");
    expect(await card(page, "sucursal").locator(".reason").count()).toBe(0);
    expect(await calls(page, "reconnect")).toHaveLength(1);
  });

  it("says a failed reconnect in words on its card", async () => {
    const { page } = await open({
      ...SCENARIO(locale),
      failures: { reconnect: { code: "unknown_account", message: "sucursal" } },
    });
    await openHealth(page);
    await card(page, "sucursal")
      .getByRole("button", { name: t("health.reconnect") })
      .click();
    await expect
      .poll(() => card(page, "sucursal").getByRole("alert").textContent())
      .toBe(es ? "Esa cuenta ya no existe." : "That account no longer exists.");
    expect(await card(page, "tienda").getByRole("alert").count()).toBe(0);
  });

  it("'Probar aviso' calls test_toast", async () => {
    const { page } = await open(SCENARIO(locale));
    await openHealth(page);
    await card(page, "tienda")
      .getByRole("button", { name: es ? "Probar aviso" : "Test pop-up" })
      .click();
    await expect
      .poll(async () => (await calls(page, "test_toast")).map((c) => c.args))
      .toEqual([{ account: "tienda" }]);
  });

  it("'Copiar diagnóstico' copies the diagnostics text and says so", async () => {
    const { page } = await open(SCENARIO(locale), { permissions: ["clipboard-read", "clipboard-write"] });
    await openHealth(page);
    await page.getByRole("button", { name: es ? "Copiar diagnóstico" : "Copy diagnostics" }).click();
    await expect
      .poll(() =>
        page
          .getByRole("status")
          .filter({ hasText: t("health.copied") })
          .count(),
      )
      .toBe(1);
    expect(spaces(await page.locator(".copied").textContent())).toBe(es ? "Copiado" : "Copied");
    expect(await calls(page, "get_diagnostics")).toHaveLength(1);
    expect(await page.evaluate(() => window.__aviso.clipboard)).toEqual([DIAGNOSTICS]);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(DIAGNOSTICS);
    expect(await page.locator("textarea").count()).toBe(0);
    // The confirmation is transient.
    await expect.poll(() => page.locator(".copied").textContent(), { timeout: 4000 }).toBe("");
  });

  it("shows the diagnostics in a read-only, selected textarea when the clipboard refuses", async () => {
    const { page } = await open({ ...SCENARIO(locale), clipboard: "deny" });
    await openHealth(page);
    await page.getByRole("button", { name: es ? "Copiar diagnóstico" : "Copy diagnostics" }).click();
    const box = page.getByRole("textbox", { name: es ? "Diagnóstico" : "Diagnostics" });
    await box.waitFor();
    expect(await box.inputValue()).toBe(DIAGNOSTICS);
    expect(await box.getAttribute("readonly")).not.toBeNull();
    expect(await page.locator("#diagnostics-note").textContent()).toBe(
      es ? "Selecciona y copia" : "Select and copy",
    );
    expect(await box.evaluate((el: HTMLTextAreaElement) => [el.selectionStart, el.selectionEnd])).toEqual([
      0,
      DIAGNOSTICS.length,
    ]);
    expect(await page.evaluate(() => window.__aviso.clipboard)).toEqual([DIAGNOSTICS]);
    expect(await page.locator(".copied").textContent()).toBe("");
  });

  it("follows get_health every second while open, and stops polling when closed", async () => {
    const { page } = await open(SCENARIO(locale));
    await openHealth(page);
    await page.evaluate(() =>
      window.__aviso.setHealth("tienda", {
        rtt_ms: 97,
        unread: 6,
        state: "polling",
        transport: "polling",
        detail: "no_websocket",
      }),
    );
    await expect.poll(() => fact(page, "tienda", "rtt"), { timeout: 3000 }).toBe("97 ms");
    expect(await fact(page, "tienda", "unread")).toBe("6");
    expect(await fact(page, "tienda", "transport")).toBe(es ? "sondeo" : "polling");
    expect(await card(page, "tienda").locator(".reason").textContent()).toBe(t("reason.no_websocket"));

    await page.getByRole("button", { name: t("settings.back") }).click();
    await page.locator(".app[data-screen=panel]").waitFor();
    await page.waitForTimeout(300);
    const asked = (await calls(page, "get_health")).length;
    await page.waitForTimeout(2500);
    expect((await calls(page, "get_health")).length).toBe(asked);
  });

  it("is reached from an account's row of the connection bar, and works from the keyboard in dark mode", async () => {
    const { page } = await open(SCENARIO(locale), { colorScheme: "dark" });
    const details = page.getByRole("button", {
      name: es ? "Estado de la conexión de sucursal" : "Connection health of sucursal",
    });
    await details.focus();
    await page.keyboard.press("Enter");
    await card(page, "sucursal").waitFor();
    // Focus lands on that account's card; Tab reaches its buttons.
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe("sucursal");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-action"))).toBe("reconnect");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-action"))).toBe("test-toast");
    await page.keyboard.press("Enter");
    await expect
      .poll(async () => (await calls(page, "test_toast")).map((c) => c.args))
      .toEqual([{ account: "sucursal" }]);
    // Dark theme: cards on the dark surface.
    expect(await card(page, "tienda").evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(
      "rgb(36, 36, 41)",
    );
    // Every control of the view has a name.
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll("button, textarea")]
        .filter((el) => !(el.getAttribute("aria-label") ?? el.textContent ?? "").trim())
        .map((el) => el.outerHTML),
    );
    expect(unnamed).toEqual([]);
  });
});
