import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
const listen = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
vi.mock("@tauri-apps/api/event", () => ({ listen: (...a: unknown[]) => listen(...a) }));

const { IpcFailure, subscribe, tauriBackend } = await import("./ipc");
const { FakeBackend, SETTINGS } = await import("../test/fake-backend");

beforeEach(() => {
  invoke.mockReset().mockResolvedValue(null);
  listen.mockReset();
});

describe("tauriBackend follows docs/ipc.md", () => {
  it.each([
    ["get_accounts", undefined, () => tauriBackend.getAccounts()],
    [
      "list_notifications",
      {
        filter: "unread",
        before: { created_at: "2025-11-17T10:30:00Z", id: "42", account: "tienda" },
        limit: 200,
        account: null,
        kind: null,
        group: false,
      },
      () =>
        tauriBackend.listNotifications(
          "unread",
          { created_at: "2025-11-17T10:30:00Z", id: "42", account: "tienda" },
          200,
          { account: null, kind: null, group: false },
        ),
    ],
    [
      "list_notifications",
      { filter: "all", before: null, limit: 50, account: "tienda-centro", kind: "nueva_compra", group: true },
      () =>
        tauriBackend.listNotifications("all", null, 50, {
          account: "tienda-centro",
          kind: "nueva_compra",
          group: true,
        }),
    ],
    [
      "search_notifications",
      { query: "ana", filter: "unread", account: "tienda", kind: "stock_bajo", before: null, limit: 100 },
      () => tauriBackend.searchNotifications("ana", "unread", "tienda", "stock_bajo", 100),
    ],
    ["get_facets", { account: null }, () => tauriBackend.getFacets(null)],
    ["get_facets", { account: "tienda" }, () => tauriBackend.getFacets("tienda")],
    [
      "rename_account",
      { account: "tienda", new_name: "tienda-centro" },
      () => tauriBackend.renameAccount("tienda", "tienda-centro"),
    ],
    ["get_storage", undefined, () => tauriBackend.getStorage()],
    ["dismiss_storage", { code: "moved_aside" }, () => tauriBackend.dismissStorage("moved_aside")],
    ["mark_read", { account: "tienda", ids: ["1", "2"] }, () => tauriBackend.markRead("tienda", ["1", "2"])],
    ["mark_all_read", { account: null }, () => tauriBackend.markAllRead(null)],
    ["open_notification", { account: "tienda", id: "7" }, () => tauriBackend.openNotification("tienda", "7")],
    ["list_profiles", undefined, () => tauriBackend.listProfiles()],
    [
      "login",
      { server: "https://t.example", profile: "smartsales", username: "admin", password: "pw", name: null },
      () =>
        tauriBackend.login({
          server: "https://t.example",
          profile: "smartsales",
          username: "admin",
          password: "pw",
          name: null,
        }),
    ],
    ["logout", { account: "tienda" }, () => tauriBackend.logout("tienda")],
    ["get_settings", undefined, () => tauriBackend.getSettings()],
    ["set_settings", { settings: SETTINGS }, () => tauriBackend.setSettings(SETTINGS)],
    ["get_streams", undefined, () => tauriBackend.getStreams()],
    ["take_pending_focus", undefined, () => tauriBackend.takePendingFocus()],
    ["get_locale", undefined, () => tauriBackend.getLocale()],
    ["get_health", { account: null }, () => tauriBackend.getHealth(null)],
    ["get_health", { account: "tienda" }, () => tauriBackend.getHealth("tienda")],
    ["reconnect", { account: "tienda" }, () => tauriBackend.reconnect("tienda")],
    ["test_toast", { account: "tienda" }, () => tauriBackend.testToast("tienda")],
    ["test_toast", { account: null }, () => tauriBackend.testToast(null)],
    ["get_diagnostics", undefined, () => tauriBackend.getDiagnostics()],
  ])("%s", async (command, args, run) => {
    await run();
    expect(invoke).toHaveBeenCalledWith(command, args);
  });

  it("rejects with an IpcFailure carrying the contract's code", async () => {
    invoke.mockRejectedValue({ code: "wrong_credentials", message: "401 from /api/token/" });
    const error: unknown = await tauriBackend.getAccounts().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IpcFailure);
    expect(error).toMatchObject({ code: "wrong_credentials", message: "401 from /api/token/" });
  });

  it("hands listeners the payload, not Tauri's event envelope", async () => {
    const unlisten = vi.fn();
    listen.mockImplementation((_name: string, cb: (e: { payload: unknown }) => void) => {
      cb({ payload: { account: "a", count: 3, total: 3 } });
      return Promise.resolve(unlisten);
    });
    const seen: unknown[] = [];
    const stop = await tauriBackend.listen("notifications://unread-changed", (p) => seen.push(p));
    expect(listen).toHaveBeenCalledWith("notifications://unread-changed", expect.any(Function));
    expect(seen).toEqual([{ account: "a", count: 3, total: 3 }]);
    stop();
    expect(unlisten).toHaveBeenCalledOnce();
  });
});

describe("subscribe", () => {
  it("unlistens everything on cleanup", async () => {
    const backend = new FakeBackend();
    const stop = subscribe(backend, {
      "notifications://received": () => {},
      "settings://changed": () => {},
    });
    await Promise.resolve();
    expect(backend.handlers.get("notifications://received")?.size).toBe(1);
    stop();
    expect(backend.unlistened.sort()).toEqual(["notifications://received", "settings://changed"]);
    expect(backend.handlers.get("settings://changed")?.size).toBe(0);
  });

  it("unlistens a listener that resolves after the cleanup ran", async () => {
    const backend = new FakeBackend();
    const stop = subscribe(backend, { "panel://focus-item": () => {} });
    stop(); // before listen() resolved
    await Promise.resolve();
    await Promise.resolve();
    expect(backend.unlistened).toEqual(["panel://focus-item"]);
    expect(backend.handlers.get("panel://focus-item")?.size).toBe(0);
  });
});
