import { describe, expect, it } from "vitest";
import { accountView, FakeBackend } from "../../test/fake-backend";
import { AccountsState } from "./accounts.svelte";

describe("AccountsState", () => {
  it("loads, then follows connection://state-changed by name", async () => {
    const backend = new FakeBackend();
    backend.accounts = [accountView("tienda", { unread: 2 }), accountView("sucursal", { unread: 3 })];
    const accounts = new AccountsState(backend);
    await accounts.load();
    expect(accounts.loaded).toBe(true);
    expect(accounts.totalUnread).toBe(5);
    expect(accounts.multiple).toBe(true);

    accounts.upsert(accountView("sucursal", { state: "needs_login", detail: "auth_failed", unread: 3 }));
    expect(accounts.list).toHaveLength(2);
    expect(accounts.needingLogin?.name).toBe("sucursal");

    accounts.upsert(accountView("nueva"));
    expect(accounts.list.map((a) => a.name)).toEqual(["tienda", "sucursal", "nueva"]);
  });

  it("takes unread counts from notifications://unread-changed", async () => {
    const backend = new FakeBackend();
    backend.accounts = [accountView("tienda", { unread: 2 })];
    const accounts = new AccountsState(backend);
    await accounts.load();
    accounts.setUnread({ account: "tienda", count: 9, total: 9 });
    expect(accounts.totalUnread).toBe(9);
    accounts.setUnread({ account: "unknown", count: 4, total: 13 });
    expect(accounts.totalUnread).toBe(9);
  });

  it("logs in with the contract's arguments and reloads the list after a logout", async () => {
    const backend = new FakeBackend();
    backend.accounts = [accountView("tienda")];
    const accounts = new AccountsState(backend);
    await accounts.load();
    const args = {
      server: "https://b.example",
      profile: "smartsales",
      username: "admin",
      password: "pw",
      name: null,
    };
    await accounts.login(args);
    expect(backend.callsOf("login")).toEqual([[args]]);
    expect(accounts.list.map((a) => a.name)).toEqual(["tienda", "admin@x"]);
    await accounts.logout("tienda");
    expect(backend.callsOf("logout")).toEqual([["tienda"]]);
    expect(backend.callsOf("getAccounts")).toHaveLength(2);
    expect(accounts.list).toEqual([]);
  });
});
