import { describe, expect, it, vi } from "vitest";
import { accountView, FakeBackend, notification } from "../../test/fake-backend";
import { AvisoApp } from "./app.svelte";
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
