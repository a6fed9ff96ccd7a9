//! The banners at the top of the panel, in Spanish and English: the local database's problems from get_storage and
//! storage://changed (gone when the shell says so; a database moved aside dismissed with dismiss_storage), and a
//! store whose secure connection failed (AccountView.detail "tls", live from connection://state-changed).
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { translate, type MessageKey } from "../src/lib/i18n";
import type { StorageProblem } from "../src/lib/types";
import { account, type Scenario } from "./harness/scenario";
import { calls, emit, LANGS, screenshot, useApp } from "./support";

const { open } = useApp();

const DISK_FULL: StorageProblem = { code: "disk_full", since: "@-60s", path: null };
const READ_ONLY: StorageProblem = { code: "read_only", since: "@-60s", path: "/home/ana/.local/share/aviso" };
const MOVED: StorageProblem = {
  code: "moved_aside",
  since: "@-600s",
  path: "/home/ana/.local/share/aviso/aviso.db.corrupt-20251117T120000",
};

/** Each banner on screen: what it is, its role, its text. */
const banners = (page: Page) =>
  page.locator("[data-banner]").evaluateAll((els) =>
    els.map((e) => ({
      kind: e.getAttribute("data-banner"),
      role: e.getAttribute("role"),
      title: e.querySelector(".title")?.textContent,
      body: e.querySelector(".body")?.textContent,
      path: e.querySelector(".path")?.textContent ?? null,
      dismiss: e.querySelector("button") !== null,
    })),
  );

describe.each(LANGS)("banners ($lang)", ({ lang, locale }) => {
  const t = (key: MessageKey, vars?: Record<string, string | number>) => translate(lang, key, vars);
  const scenario = (patch: Partial<Scenario> = {}): Scenario => ({
    locale,
    accounts: [account("tienda"), account("sucursal")],
    generate: { count: 12, unread: 4 },
    ...patch,
  });

  it("shows a storage problem when storage://changed says so, and clears with an empty list", async () => {
    const { page } = await open(scenario());
    await page.locator(".notification").first().waitFor();
    expect(await calls(page, "get_storage")).toHaveLength(1);
    expect(await banners(page)).toEqual([]);

    await emit(page, "storage://changed", [DISK_FULL]);
    await page
      .getByRole("alert")
      .filter({ hasText: t("banner.disk_full.title") })
      .waitFor();
    expect(await banners(page)).toEqual([
      {
        kind: "disk_full",
        role: "alert",
        title: t("banner.disk_full.title"),
        body: t("banner.disk_full.body"),
        path: null,
        dismiss: false,
      },
    ]);

    await emit(page, "storage://changed", [DISK_FULL, READ_ONLY]);
    await expect
      .poll(async () => (await banners(page)).map((b) => b.kind))
      .toEqual(["disk_full", "read_only"]);
    expect((await banners(page))[1]).toMatchObject({
      role: "alert",
      body: t("banner.read_only.body"),
      dismiss: false,
    });
    await screenshot(page, `banners-${lang}.png`);

    await emit(page, "storage://changed", [READ_ONLY]);
    await expect.poll(async () => (await banners(page)).map((b) => b.kind)).toEqual(["read_only"]);
    await emit(page, "storage://changed", []);
    await expect.poll(() => banners(page)).toEqual([]);
  });

  it("says where a damaged database went, until dismissed with dismiss_storage", async () => {
    const { page } = await open(scenario({ storage: [MOVED] }));
    const banner = page.getByRole("status").filter({ hasText: t("banner.moved_aside.title") });
    await banner.waitFor();
    expect(await banners(page)).toEqual([
      {
        kind: "moved_aside",
        role: "status",
        title: t("banner.moved_aside.title"),
        body: t("banner.moved_aside.body"),
        path: MOVED.path,
        dismiss: true,
      },
    ]);
    await banner.getByRole("button", { name: t("banner.dismiss") }).click();
    await expect.poll(() => banners(page)).toEqual([]);
    expect((await calls(page, "dismiss_storage")).map((c) => c.args)).toEqual([{ code: "moved_aside" }]);
  });

  it("says a failed secure connection per store while its detail is tls", async () => {
    const { page } = await open(scenario());
    await page.locator(".notification").first().waitFor();
    const tls = account("sucursal", {
      state: "backoff",
      transport: null,
      detail: "tls",
      next_retry_at: "@+30s",
    });
    await emit(page, "connection://state-changed", tls);
    const banner = page
      .getByRole("alert")
      .filter({ hasText: t("banner.tls.title", { account: "sucursal" }) });
    await banner.waitFor();
    expect(await banners(page)).toEqual([
      {
        kind: "tls",
        role: "alert",
        title: t("banner.tls.title", { account: "sucursal" }),
        body: t("banner.tls.body"),
        path: null,
        dismiss: false,
      },
    ]);
    await emit(page, "connection://state-changed", account("tienda", { state: "backoff", detail: "tls" }));
    await expect.poll(async () => (await banners(page)).length).toBe(2);
    // Still failing, for another reason now: the TLS words go; a live connection clears the other.
    await emit(page, "connection://state-changed", { ...tls, detail: "unreachable" });
    await expect
      .poll(async () => (await banners(page)).map((b) => b.title))
      .toEqual([t("banner.tls.title", { account: "tienda" })]);
    await emit(page, "connection://state-changed", account("tienda"));
    await expect.poll(() => banners(page)).toEqual([]);
  });
});
