import { describe, expect, it, vi } from "vitest";
import { accountView, FakeBackend, notification } from "../../test/fake-backend";
import { AvisoApp } from "./app.svelte";
import { FACETS_DEBOUNCE_MS } from "./facets.svelte";
import { itemKey } from "./feed.svelte";
import { resolveScreen } from "./ui.svelte";

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

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

describe("AvisoApp", () => {
  it("listens to every event once, loads everything, and unlistens all on cleanup", async () => {
    const backend = new FakeBackend();
    backend.accounts = [accountView("tienda", { unread: 1 })];
    backend.store = [notification(0)];
    const app = new AvisoApp(backend);
    const stop = app.start();
    await flush();
    expect([...backend.handlers.keys()].sort()).toEqual(EVENTS);
    for (const event of EVENTS) expect(backend.handlers.get(event)?.size).toBe(1);
    expect(app.screen).toBe("panel");
    expect(app.locale.lang).toBe("es");
    expect(app.feed.items).toHaveLength(1);
    stop();
    expect(backend.unlistened.sort()).toEqual(EVENTS);
  });

  it("shows the item a toast click asked for once it listens and has loaded", async () => {
    const backend = new FakeBackend();
    backend.accounts = [accountView("tienda")];
    const wanted = notification(1);
    backend.store = [notification(0), wanted];
    backend.pendingFocus = { account: "tienda", id: wanted.id };
    const app = new AvisoApp(backend);
    const stop = app.start();
    await flush();
    await flush();
    expect(backend.pendingFocus).toBeNull();
    expect(app.feed.highlighted).toBe(itemKey({ account: "tienda", id: wanted.id }));
    stop();
  });

  it("routes events into the state", async () => {
    const backend = new FakeBackend();
    backend.accounts = [accountView("tienda")];
    const app = new AvisoApp(backend);
    const stop = app.start();
    await flush();
    backend.fire("notifications://received", notification(0));
    backend.fire("notifications://received-batch", [notification(2), notification(1)]);
    backend.fire("notifications://unread-changed", { account: "tienda", count: 1, total: 1 });
    backend.fire("connection://state-changed", accountView("tienda", { state: "backoff", unread: 1 }));
    backend.fire("settings://changed", { ...backend.settings, language: "en" });
    // Received notifications are merged once per frame (a burst is thousands of events).
    await vi.waitFor(() => expect(app.feed.items.map((n) => n.id)).toEqual(["1000", "999", "998"]));
    expect(app.accounts.totalUnread).toBe(1);
    expect(app.accounts.list[0]!.state).toBe("backoff");
    expect(app.locale.lang).toBe("en");
    stop();
  });

  it("shows the login view without accounts, or for a refused session until put off", async () => {
    const backend = new FakeBackend();
    const app = new AvisoApp(backend);
    const stop = app.start();
    await flush();
    expect(app.screen).toBe("login");
    expect(app.loginAccount).toBeNull();

    app.accounts.upsert(accountView("tienda", { state: "needs_login" }));
    expect(app.screen).toBe("login");
    expect(app.loginAccount?.name).toBe("tienda");
    app.ui.dismissLogin(app.accounts.list);
    expect(app.screen).toBe("panel");
    app.ui.showLogin("tienda");
    expect(app.screen).toBe("login");
    expect(app.loginAccount?.name).toBe("tienda");
    stop();
  });

  it("focus-item leaves settings for the panel and selects the tab that holds the item", async () => {
    const backend = new FakeBackend();
    backend.accounts = [accountView("tienda")];
    backend.store = [notification(0), notification(1, { read: true })];
    const app = new AvisoApp(backend);
    const stop = app.start();
    await flush();
    app.ui.showSettings();
    backend.fire("panel://focus-item", { account: "tienda", id: notification(1).id });
    await flush();
    await flush();
    expect(app.screen).toBe("panel");
    expect(app.ui.tab).toBe("all");
    expect(app.feed.focusRequest?.index).toBe(1);
    stop();
  });

  it("opens the health view, at an account's card when asked, and back to the panel", async () => {
    const backend = new FakeBackend();
    backend.accounts = [accountView("tienda"), accountView("sucursal")];
    const app = new AvisoApp(backend);
    const stop = app.start();
    await flush();
    app.ui.showHealth("sucursal");
    expect(app.screen).toBe("health");
    expect(app.ui.healthTarget).toBe("sucursal");
    app.ui.showHealth();
    expect(app.ui.healthTarget).toBeNull();
    app.ui.showPanel();
    expect(app.screen).toBe("panel");
    // A refused session still takes over from the health view.
    app.ui.showHealth();
    app.accounts.upsert(accountView("tienda", { state: "needs_login" }));
    expect(app.screen).toBe("login");
    stop();
  });

  it("reports a shell that does not answer", async () => {
    const backend = new FakeBackend();
    backend.failures.getAccounts = { code: "internal", message: "engine not started" };
    const app = new AvisoApp(backend);
    const stop = app.start();
    await flush();
    expect(app.startError).toEqual({ code: "internal", message: "engine not started" });
    stop();
  });
});

describe("resolveScreen", () => {
  const base = {
    loaded: true,
    accounts: [accountView("a")],
    requested: "panel" as const,
    dismissed: new Set<string>(),
  };
  it("picks the screen", () => {
    expect(resolveScreen({ ...base, loaded: false })).toBe("loading");
    expect(resolveScreen({ ...base, accounts: [] })).toBe("login");
    expect(resolveScreen(base)).toBe("panel");
    expect(resolveScreen({ ...base, requested: "settings" })).toBe("settings");
    expect(resolveScreen({ ...base, requested: "health" })).toBe("health");
    const refused = [accountView("a", { state: "needs_login" })];
    expect(resolveScreen({ ...base, accounts: refused })).toBe("login");
    expect(resolveScreen({ ...base, accounts: refused, dismissed: new Set(["a"]) })).toBe("panel");
  });
});

describe("AvisoApp: stores, kinds and grouping", () => {
  /** Two stores: "b-norte" listed first in the config, "a-centro" first by name. */
  function shell() {
    const backend = new FakeBackend();
    backend.accounts = [accountView("b-norte"), accountView("a-centro")];
    backend.store = [
      notification(0, { account: "b-norte", kind: "nueva_compra" }),
      notification(1, { account: "a-centro", kind: "stock_bajo" }),
      notification(2, { account: "a-centro", kind: "nueva_compra" }),
      notification(3, { account: "b-norte", kind: "pago_procesado", read: true }),
    ];
    return backend;
  }
  const firstList = (backend: FakeBackend) => backend.callsOf("listNotifications")[0];

  it("restores the saved view: the first page already asks in it, and the kinds are counted in its store", async () => {
    const backend = shell();
    backend.settings = {
      ...backend.settings,
      view: { account: "a-centro", kind: "stock_bajo", group: true },
    };
    const app = new AvisoApp(backend);
    const stop = app.start();
    await vi.waitFor(() => expect(app.feed.items.map((n) => n.id)).toEqual(["999"]));
    expect(backend.callsOf("listNotifications")).toEqual([
      ["unread", null, 200, { account: "a-centro", kind: "stock_bajo", group: true }],
    ]);
    expect(backend.callsOf("getFacets")).toEqual([["a-centro"]]);
    expect(app.facets.kinds.map((k) => k.kind)).toEqual(["nueva_compra", "stock_bajo"]);
    expect(app.facets.unreadOf("a-centro")).toBe(2);
    expect(app.facets.unreadOf("b-norte")).toBe(1);
    stop();
  });

  it("falls back to all when the saved store is gone, or its kind is no longer there (grouping kept)", async () => {
    const backend = shell();
    backend.settings = { ...backend.settings, view: { account: "cerrada", kind: null, group: true } };
    let app = new AvisoApp(backend);
    let stop = app.start();
    await vi.waitFor(() => expect(app.feed.items).toHaveLength(3));
    expect(app.feed.scope).toEqual({ account: null, kind: null, group: true });
    expect(app.feed.items.map((n) => n.account)).toEqual(["a-centro", "a-centro", "b-norte"]);
    // Nothing is saved until the person chooses.
    expect(backend.callsOf("setSettings")).toEqual([]);
    stop();

    const again = shell();
    again.settings = { ...again.settings, view: { account: "b-norte", kind: "stock_bajo", group: false } };
    app = new AvisoApp(again);
    stop = app.start();
    await vi.waitFor(() => expect(app.feed.items).toHaveLength(1));
    expect(firstList(again)).toEqual(["unread", null, 200, { account: "b-norte", kind: null, group: false }]);
    stop();
  });

  it("a choice narrows the list, recounts the kinds in the store, asks the search again, and is saved", async () => {
    const backend = shell();
    const app = new AvisoApp(backend);
    const stop = app.start();
    await vi.waitFor(() => expect(app.feed.items).toHaveLength(3));
    app.search.setQuery("compra");
    await app.search.run();
    expect(app.search.hits).toHaveLength(3);

    await app.setView({ account: "a-centro" });
    expect(app.feed.items.map((n) => n.id)).toEqual(["999", "998"]);
    expect(backend.callsOf("getFacets").at(-1)).toEqual(["a-centro"]);
    expect(backend.callsOf("searchNotifications").at(-1)).toEqual([
      "compra",
      "unread",
      "a-centro",
      null,
      100,
    ]);
    await vi.waitFor(() => expect(app.search.hits).toHaveLength(2));
    expect(backend.settings.view).toEqual({ account: "a-centro", kind: null, group: false });

    const facetCalls = backend.callsOf("getFacets").length;
    await app.setView({ kind: "stock_bajo" });
    expect(app.feed.items.map((n) => n.id)).toEqual(["999"]);
    // The kind does not change what the kinds are counted in.
    expect(backend.callsOf("getFacets")).toHaveLength(facetCalls);
    expect(backend.callsOf("searchNotifications").at(-1)).toEqual([
      "compra",
      "unread",
      "a-centro",
      "stock_bajo",
      100,
    ]);
    expect(backend.settings.view).toEqual({ account: "a-centro", kind: "stock_bajo", group: false });

    await app.setView({ account: null, kind: null, group: true });
    expect(app.feed.items.map((n) => n.account)).toEqual(["a-centro", "a-centro", "b-norte"]);
    expect(backend.settings.view).toEqual({ account: null, kind: null, group: true });
    // Saved only when it changed.
    const saves = backend.callsOf("setSettings").length;
    await app.setView({ group: true });
    expect(backend.callsOf("setSettings")).toHaveLength(saves);
    stop();
  });

  it("recounts the chips once, 300 ms after a run of unread changes, and after a mark", async () => {
    vi.useFakeTimers();
    try {
      const backend = shell();
      const app = new AvisoApp(backend);
      const stop = app.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(backend.callsOf("getFacets")).toHaveLength(1);
      backend.store[0]!.read = true;
      for (let i = 0; i < 5; i++) {
        backend.fire("notifications://unread-changed", { account: "b-norte", count: 0, total: 2 });
        await vi.advanceTimersByTimeAsync(100);
      }
      expect(backend.callsOf("getFacets")).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(FACETS_DEBOUNCE_MS);
      expect(backend.callsOf("getFacets")).toHaveLength(2);
      expect(app.facets.unreadOf("b-norte")).toBe(0);

      await app.feed.markRead(app.feed.items.find((n) => n.account === "a-centro")!);
      await vi.advanceTimersByTimeAsync(FACETS_DEBOUNCE_MS);
      expect(backend.callsOf("getFacets")).toHaveLength(3);
      expect(app.facets.unreadOf("a-centro")).toBe(1);
      // No recount outlives the panel: one on its way when it closes is dropped.
      backend.fire("notifications://unread-changed", { account: "b-norte", count: 0, total: 1 });
      stop();
      await vi.advanceTimersByTimeAsync(FACETS_DEBOUNCE_MS * 2);
      expect(backend.callsOf("getFacets")).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps its counts when get_facets fails, and the list works without them", async () => {
    const backend = shell();
    backend.failures.getFacets = { code: "internal", message: "unknown command get_facets" };
    backend.settings = { ...backend.settings, view: { account: null, kind: "stock_bajo", group: false } };
    const app = new AvisoApp(backend);
    const stop = app.start();
    await vi.waitFor(() => expect(app.feed.items.map((n) => n.id)).toEqual(["999"]));
    expect(app.startError).toBeNull();
    expect(app.facets.error?.code).toBe("internal");
    stop();
  });

  it("a toast click for another store shows every store; for another kind, every kind", async () => {
    const backend = shell();
    backend.settings = {
      ...backend.settings,
      view: { account: "a-centro", kind: "stock_bajo", group: false },
    };
    const app = new AvisoApp(backend);
    const stop = app.start();
    await vi.waitFor(() => expect(app.feed.items).toHaveLength(1));
    await app.focus({ account: "a-centro", id: "998" });
    expect(app.feed.scope).toEqual({ account: null, kind: null, group: false });
    expect(app.feed.highlighted).toBe(itemKey({ account: "a-centro", id: "998" }));
    // Another store, the same kind: only the store is widened.
    await app.setView({ account: "a-centro", kind: "nueva_compra" });
    await app.focus({ account: "b-norte", id: "1000" });
    expect(app.feed.scope).toEqual({ account: null, kind: "nueva_compra", group: false });
    expect(app.feed.highlighted).toBe(itemKey({ account: "b-norte", id: "1000" }));
    stop();
  });

  it("renames a store: everything that names it is read again; a list narrowed to it follows the new name", async () => {
    const backend = shell();
    backend.settings = { ...backend.settings, view: { account: "a-centro", kind: null, group: false } };
    const app = new AvisoApp(backend);
    const stop = app.start();
    await vi.waitFor(() => expect(app.feed.items).toHaveLength(2));
    const before = {
      accounts: backend.callsOf("getAccounts").length,
      settings: backend.callsOf("getSettings").length,
      streams: backend.callsOf("getStreams").length,
    };
    const view = await app.rename("a-centro", "centro");
    expect(view.name).toBe("centro");
    expect(backend.callsOf("renameAccount")).toEqual([["a-centro", "centro"]]);
    expect(app.accounts.list.map((a) => a.name)).toEqual(["b-norte", "centro"]);
    expect(backend.callsOf("getAccounts")).toHaveLength(before.accounts + 1);
    expect(backend.callsOf("getSettings")).toHaveLength(before.settings + 1);
    expect(backend.callsOf("getStreams")).toHaveLength(before.streams + 1);
    expect(app.feed.scope.account).toBe("centro");
    expect(backend.callsOf("listNotifications").at(-1)![3]).toEqual({
      account: "centro",
      kind: null,
      group: false,
    });
    expect(app.feed.items.map((n) => n.account)).toEqual(["centro", "centro"]);
    expect(backend.callsOf("getFacets").at(-1)).toEqual(["centro"]);
    expect(app.settings.view.account).toBe("centro");

    // Refused: nothing changes, and the view gets the code to say.
    await expect(app.rename("centro", "b-norte")).rejects.toMatchObject({ code: "name_taken" });
    await expect(app.rename("centro", "  ")).rejects.toMatchObject({ code: "invalid_name" });
    await expect(app.rename("cerrada", "x")).rejects.toMatchObject({ code: "unknown_account" });
    expect(app.accounts.list.map((a) => a.name)).toEqual(["b-norte", "centro"]);
    stop();
  });

  it("saves the renamed store in the view when the engine did not", async () => {
    const backend = shell();
    backend.settings = { ...backend.settings, view: { account: "a-centro", kind: null, group: false } };
    const rename = backend.renameAccount;
    // An engine that renames the account but leaves the saved view alone.
    backend.renameAccount = async (account, name) => {
      const { view } = backend.settings;
      const answer = await rename(account, name);
      backend.settings = { ...backend.settings, view };
      return answer;
    };
    const app = new AvisoApp(backend);
    const stop = app.start();
    await vi.waitFor(() => expect(app.feed.items).toHaveLength(2));
    await app.rename("a-centro", "centro");
    expect(backend.settings.view.account).toBe("centro");
    stop();
  });

  it("logging out the store the list shows shows every store", async () => {
    const backend = shell();
    backend.settings = { ...backend.settings, view: { account: "a-centro", kind: null, group: false } };
    const app = new AvisoApp(backend);
    const stop = app.start();
    await vi.waitFor(() => expect(app.feed.items).toHaveLength(2));
    await app.logout("a-centro");
    expect(app.feed.scope.account).toBeNull();
    expect(backend.settings.view.account).toBeNull();
    stop();
  });
});

describe("AvisoApp: banners", () => {
  it("shows the storage problems get_storage and storage://changed report, and clears them with an empty list", async () => {
    const backend = new FakeBackend();
    backend.accounts = [accountView("tienda")];
    backend.storage = [{ code: "read_only", since: "2025-11-17T12:00:00Z", path: "/data" }];
    const app = new AvisoApp(backend);
    const stop = app.start();
    await vi.waitFor(() => expect(app.banners.map((b) => b.id)).toEqual(["storage:read_only"]));
    expect(app.banners[0]).toMatchObject({ role: "alert", dismiss: null, path: null });
    backend.fire("storage://changed", [
      { code: "moved_aside", since: "2025-11-17T12:00:00Z", path: "/data/aviso.db.corrupt-1" },
      { code: "disk_full", since: "2025-11-17T12:00:00Z", path: null },
    ]);
    // The urgent one first; only the moved-aside database is dismissed by hand, and it says where it went.
    expect(app.banners.map((b) => [b.kind, b.role, b.dismiss])).toEqual([
      ["disk_full", "alert", null],
      ["moved_aside", "status", "moved_aside"],
    ]);
    expect(app.banners[1]!.path).toBe("/data/aviso.db.corrupt-1");
    expect(app.banners[0]!.title).toBe("El disco está lleno");
    backend.fire("storage://changed", []);
    expect(app.banners).toEqual([]);
    stop();
  });

  it("dismisses a moved-aside database with dismiss_storage; a refused dismiss keeps it and says why", async () => {
    const backend = new FakeBackend();
    backend.accounts = [accountView("tienda")];
    backend.storage = [{ code: "moved_aside", since: "2025-11-17T12:00:00Z", path: null }];
    const app = new AvisoApp(backend);
    const stop = app.start();
    await vi.waitFor(() => expect(app.banners).toHaveLength(1));
    expect(app.banners[0]!.body).toMatch(/carpeta de datos/);
    backend.failures.dismissStorage = { code: "storage", message: "read-only" };
    await app.storage.dismiss("moved_aside");
    expect(app.banners).toHaveLength(1);
    expect(app.storage.error?.code).toBe("storage");
    delete backend.failures.dismissStorage;
    await app.storage.dismiss("moved_aside");
    expect(backend.callsOf("dismissStorage")).toEqual([["moved_aside"], ["moved_aside"]]);
    expect(app.banners).toEqual([]);
    stop();
  });

  it("says each store whose connection fails for TLS, until its detail changes, in the panel's language", async () => {
    const backend = new FakeBackend();
    backend.accounts = [accountView("tienda"), accountView("sucursal", { state: "backoff", detail: "tls" })];
    const app = new AvisoApp(backend);
    const stop = app.start();
    await vi.waitFor(() => expect(app.banners.map((b) => b.id)).toEqual(["tls:sucursal"]));
    expect(app.banners[0]!.title).toBe("No se pudo establecer una conexión segura con sucursal");
    backend.fire("connection://state-changed", accountView("tienda", { state: "backoff", detail: "tls" }));
    expect(app.banners.map((b) => b.id)).toEqual(["tls:tienda", "tls:sucursal"]);
    backend.fire("settings://changed", { ...backend.settings, language: "en" });
    expect(app.banners[0]!.title).toBe("Could not establish a secure connection to tienda");
    backend.fire(
      "connection://state-changed",
      accountView("tienda", { state: "backoff", detail: "unreachable" }),
    );
    backend.fire("connection://state-changed", accountView("sucursal"));
    expect(app.banners).toEqual([]);
    stop();
  });
});
