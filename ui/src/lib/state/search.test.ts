import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeBackend, notification } from "../../test/fake-backend";
import type { Filter, SearchHit } from "../types";
import { hasWords, SEARCH_DEBOUNCE_MS, SEARCH_LIMIT, SearchState } from "./search.svelte";

function setup(filter: Filter = "unread") {
  const backend = new FakeBackend();
  backend.store = [
    notification(0, { title: "Devolución solicitada", body: "Ana Pérez pide devolver" }),
    notification(1, { title: "Nueva compra", body: "Luis Rojas compró", read: true }),
    notification(2, { title: "Nueva compra", body: "Ana Pérez compró" }),
  ];
  const state = { filter, account: null as string | null, kind: null as string | null };
  return { backend, state, search: new SearchState(backend, () => ({ ...state })) };
}

/** Lets the debounce run out and the answer arrive. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
  await vi.runAllTimersAsync();
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("SearchState", () => {
  it("asks once per pause in typing, with the tab's filter", async () => {
    const { backend, search } = setup();
    for (const text of ["a", "an", "ana"]) {
      search.setQuery(text);
      await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS / 3);
    }
    expect(backend.callsOf("searchNotifications")).toEqual([]);
    expect(search.pending).toBe(true);
    await settle();
    expect(backend.callsOf("searchNotifications")).toEqual([["ana", "unread", null, null, SEARCH_LIMIT]]);
    expect(search.answered).toBe("ana");
    expect(search.hits.map((h) => h.notification.id)).toEqual(["1000", "998"]);
    expect(search.pending).toBe(false);
  });

  it("keeps only the answer to the latest query", async () => {
    const { backend, search } = setup();
    let release: (() => void) | undefined;
    const slow = backend.searchNotifications;
    backend.searchNotifications = (...args) =>
      new Promise<SearchHit[]>((resolve) => (release = () => resolve(slow(...args))));
    search.setQuery("ana");
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    backend.searchNotifications = slow;
    search.setQuery("luis");
    await settle();
    release?.();
    await vi.runAllTimersAsync();
    expect(search.answered).toBe("luis");
    expect(search.hits).toEqual([]);
  });

  it("clears without asking when the box has no words", async () => {
    const { backend, search } = setup();
    search.setQuery("ana");
    await settle();
    expect(search.active).toBe(true);
    search.setQuery(' " * ');
    await settle();
    expect(search.active).toBe(false);
    expect(search.hits).toEqual([]);
    expect(search.answered).toBeNull();
    search.setQuery("ana");
    search.clear();
    await settle();
    expect(backend.callsOf("searchNotifications")).toHaveLength(1);
    expect(search.query).toBe("");
  });

  it("applies reads as the list does: gone from unread hits, dimmed in all", async () => {
    const unread = setup("unread");
    unread.search.setQuery("ana");
    await settle();
    unread.search.applyRead({ account: "tienda", ids: ["1000"], all: false });
    expect(unread.search.hits.map((h) => h.notification.id)).toEqual(["998"]);
    unread.search.applySnoozed({ account: "tienda", id: "998" });
    expect(unread.search.hits).toEqual([]);

    const all = setup("all");
    all.search.setQuery("compr");
    await settle();
    all.search.applyRead({ account: "tienda", ids: [], all: true });
    expect(all.search.hits.map((h) => [h.notification.id, h.notification.read])).toEqual([
      ["999", true],
      ["998", true],
    ]);
  });

  it("searches again after new notifications, once per burst", async () => {
    const { backend, search } = setup();
    search.refresh();
    await settle();
    expect(backend.callsOf("searchNotifications")).toEqual([]);
    search.setQuery("ana");
    await settle();
    for (let i = 0; i < 5; i++) search.refresh();
    await settle();
    expect(backend.callsOf("searchNotifications")).toHaveLength(2);
  });

  it("keeps a failure to show, and a later answer replaces it", async () => {
    const { backend, search } = setup();
    backend.failures.searchNotifications = { code: "storage", message: "disk" };
    search.setQuery("ana");
    await settle();
    expect(search.error).toEqual({ code: "storage", message: "disk" });
    delete backend.failures.searchNotifications;
    await search.run();
    expect(search.error).toBeNull();
    expect(search.hits).toHaveLength(2);
  });
});

describe("hasWords", () => {
  it("is true for letters and digits in any script, false for punctuation only", () => {
    expect(["perez", "Ñ", "1042", "é", "ж"].every(hasWords)).toBe(true);
    expect(["", "  ", '"', "* - : ( )", "¿?"].some(hasWords)).toBe(false);
  });
});
