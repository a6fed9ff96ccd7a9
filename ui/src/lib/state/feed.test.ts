import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeBackend, notification } from "../../test/fake-backend";
import { feedRows, FeedState, itemKey, PAGE_SIZE, RECEIVE_BATCH_MS, WHOLE } from "./feed.svelte";

function setup(count: number, patch: (i: number) => Partial<ReturnType<typeof notification>> = () => ({})) {
  const backend = new FakeBackend();
  backend.store = Array.from({ length: count }, (_, i) => notification(i, patch(i)));
  return { backend, feed: new FeedState(backend) };
}

afterEach(() => vi.useRealTimers());

describe("FeedState paging", () => {
  it("loads the newest page first, then keyset pages strictly older than the last item", async () => {
    const { backend, feed } = setup(PAGE_SIZE * 2 + 10);
    await feed.loadMore();
    expect(backend.callsOf("listNotifications")).toEqual([["unread", null, PAGE_SIZE, WHOLE]]);
    expect(feed.items.map((n) => n.id).slice(0, 2)).toEqual(["1000", "999"]);
    const last = feed.items.at(-1)!;
    await feed.loadMore();
    expect(backend.callsOf("listNotifications")[1]).toEqual([
      "unread",
      { created_at: last.created_at, id: last.id, account: "tienda" },
      PAGE_SIZE,
      WHOLE,
    ]);
    await feed.loadMore();
    expect(feed.items).toHaveLength(PAGE_SIZE * 2 + 10);
    expect(feed.exhausted).toBe(true);
    await feed.loadMore();
    expect(backend.callsOf("listNotifications")).toHaveLength(3);
  });

  it("asks once while a page is on its way", async () => {
    const { backend, feed } = setup(10);
    await Promise.all([feed.loadMore(), feed.loadMore(), feed.loadMore()]);
    expect(backend.callsOf("listNotifications")).toHaveLength(1);
  });

  it("starts over on a filter change and drops pages of the old filter", async () => {
    const { backend, feed } = setup(5, (i) => ({ read: i % 2 === 1 }));
    const first = feed.loadMore();
    const switched = feed.setFilter("all");
    await Promise.all([first, switched]);
    expect(feed.filter).toBe("all");
    expect(feed.items).toHaveLength(5);
    expect(backend.callsOf("listNotifications").map((c) => c[0])).toEqual(["unread", "all"]);
  });

  it("is empty only once the shell said there is nothing", async () => {
    const { feed } = setup(0);
    expect(feed.empty).toBe(false);
    await feed.loadMore();
    expect(feed.empty).toBe(true);
  });

  it("keeps a failed page as an error and retries on reload", async () => {
    const { backend, feed } = setup(3);
    backend.failures.listNotifications = { code: "storage", message: "disk full" };
    await feed.loadMore();
    expect(feed.loadError).toEqual({ code: "storage", message: "disk full" });
    delete backend.failures.listNotifications;
    await feed.reload();
    expect(feed.loadError).toBeNull();
    expect(feed.items).toHaveLength(3);
  });
});

describe("FeedState read marks", () => {
  it("marks one read with mark_read(account, [id]) and drops it from Unread", async () => {
    const { backend, feed } = setup(3);
    await feed.loadMore();
    await feed.markRead(feed.items[1]!);
    expect(backend.callsOf("markRead")).toEqual([["tienda", ["999"]]]);
    expect(feed.items.map((n) => n.id)).toEqual(["1000", "998"]);
  });

  it("dims instead of dropping in All", async () => {
    const { feed } = setup(3);
    await feed.setFilter("all");
    await feed.markRead(feed.items[0]!);
    expect(feed.items.map((n) => n.read)).toEqual([true, false, false]);
  });

  it("marks all with mark_all_read(null)", async () => {
    const { backend, feed } = setup(4);
    await feed.loadMore();
    await feed.markAllRead();
    expect(backend.callsOf("markAllRead")).toEqual([[null]]);
    expect(feed.items).toEqual([]);
  });

  it("marks all of the store the list is filtered to, and only that store", async () => {
    const backend = new FakeBackend();
    backend.store = [notification(0, { account: "norte" }), notification(1, { account: "centro" })];
    const feed = new FeedState(backend);
    await feed.setScope({ account: "norte", kind: null, group: false });
    await feed.markAllRead();
    expect(backend.callsOf("markAllRead")).toEqual([["norte"]]);
    await feed.setScope(WHOLE);
    expect(feed.items.map((n) => n.account)).toEqual(["centro"]);
  });

  it("opens with open_notification(account, id), like a toast click", async () => {
    const { backend, feed } = setup(2);
    await feed.loadMore();
    await feed.open(feed.items[0]!);
    expect(backend.callsOf("openNotification")).toEqual([["tienda", "1000"]]);
    expect(feed.items.map((n) => n.id)).toEqual(["999"]);
  });

  it("keeps the item and shows the error when the shell refuses", async () => {
    const { backend, feed } = setup(2);
    await feed.loadMore();
    backend.failures.openNotification = { code: "not_found", message: "gone" };
    await feed.open(feed.items[0]!);
    expect(feed.actionError?.code).toBe("not_found");
    expect(feed.items).toHaveLength(2);
  });

  it("applies notifications://read for one account only, and mark-all with all: true", async () => {
    const { feed } = setup(6, (i) => ({ account: i % 2 ? "b" : "a" }));
    await feed.setFilter("all");
    feed.applyRead({ account: "b", ids: [], all: true });
    expect(feed.items.filter((n) => n.read).map((n) => n.account)).toEqual(["b", "b", "b"]);
    feed.applyRead({ account: "a", ids: ["1000"], all: false });
    expect(feed.items.find((n) => n.id === "1000")?.read).toBe(true);
    expect(feed.items.filter((n) => !n.read)).toHaveLength(2);
  });
});

describe("FeedState live inserts", () => {
  it("puts a received notification on top, once", async () => {
    const { feed } = setup(3);
    await feed.loadMore();
    const fresh = notification(-5, { id: "2000" });
    feed.receive(fresh);
    feed.receive(fresh);
    expect(feed.items.map((n) => n.id)).toEqual(["2000", "1000", "999", "998"]);
  });

  it("ignores read ones in Unread and older-than-loaded ones while pages remain", async () => {
    const { feed } = setup(PAGE_SIZE + 5);
    await feed.loadMore();
    feed.receive(notification(-1, { id: "3000", read: true }));
    feed.receive(notification(PAGE_SIZE + 50, { id: "1" }));
    expect(feed.items).toHaveLength(PAGE_SIZE);
    expect(feed.items[0]!.id).toBe("1000");
  });
});

describe("FeedState batched inserts (a burst)", () => {
  it("merges queued items once, in the same order as receiving them one by one", async () => {
    const { feed } = setup(PAGE_SIZE + 5);
    await feed.loadMore();
    const one = setup(PAGE_SIZE + 5).feed;
    await one.loadMore();
    const burst = [
      notification(-3, { id: "2001" }),
      notification(-9, { id: "2002" }),
      notification(2, { id: "2003" }),
      notification(-3, { id: "2001", title: "updated" }),
      notification(-1, { id: "2004", read: true }),
      notification(PAGE_SIZE + 50, { id: "1" }),
      notification(0, { title: "changed in place" }),
    ];
    vi.useFakeTimers();
    const before = feed.items;
    for (const n of burst) feed.queue(n);
    expect(feed.items).toBe(before);
    vi.advanceTimersByTime(RECEIVE_BATCH_MS);
    for (const n of burst) one.receive(n);
    expect(feed.items.map((n) => [n.id, n.title])).toEqual(one.items.map((n) => [n.id, n.title]));
    expect(feed.items.slice(0, 2).map((n) => n.id)).toEqual(["2002", "2001"]);
    expect(feed.items.find((n) => n.id === "2001")?.title).toBe("updated");
  });

  it("merges queued items before a read mark that follows them applies", async () => {
    const { feed } = setup(3);
    await feed.loadMore();
    feed.queue(notification(-5, { id: "2000" }));
    feed.applyRead({ account: "tienda", ids: ["2000"], all: false });
    expect(feed.items.map((n) => n.id)).toEqual(["1000", "999", "998"]);
  });

  it("takes 10,000 queued items in one merge", async () => {
    const { feed } = setup(50);
    await feed.loadMore();
    vi.useFakeTimers();
    for (let i = 0; i < 10_000; i++) feed.queue(notification(-1 - i, { id: String(100_000 + i) }));
    vi.advanceTimersByTime(RECEIVE_BATCH_MS);
    expect(feed.items).toHaveLength(10_050);
    expect(feed.items[0]!.id).toBe("109999");
  });
});

describe("FeedState focus (panel://focus-item)", () => {
  it("pages until it finds the item, highlights it and asks the list to scroll there", async () => {
    vi.useFakeTimers();
    const { feed } = setup(PAGE_SIZE * 3);
    await feed.loadMore();
    const target = notification(PAGE_SIZE * 2 + 7);
    expect(await feed.focus(target)).toBe(true);
    expect(feed.items.length).toBe(PAGE_SIZE * 3);
    expect(feed.focusRequest).toEqual({ index: PAGE_SIZE * 2 + 7, seq: 1 });
    expect(feed.highlighted).toBe(itemKey(target));
    vi.advanceTimersByTime(6000);
    expect(feed.highlighted).toBeNull();
  });

  it("falls back to All for an item already read (a clicked toast)", async () => {
    const { feed } = setup(5, (i) => ({ read: i === 3 }));
    await feed.loadMore();
    expect(await feed.focus(notification(3))).toBe(true);
    expect(feed.filter).toBe("all");
    expect(feed.focusRequest?.index).toBe(3);
  });

  it("gives up on an unknown item", async () => {
    const { feed } = setup(5);
    await feed.loadMore();
    expect(await feed.focus({ account: "tienda", id: "nope" })).toBe(false);
    expect(feed.highlighted).toBeNull();
  });
});

describe("FeedState scope (store, kind, grouped by store)", () => {
  /** Two stores, two kinds, interleaved in time: i even in "b-norte", odd in "a-centro"; every third a stock alert. */
  function stores(count: number) {
    return setup(count, (i) => ({
      account: i % 2 ? "a-centro" : "b-norte",
      kind: i % 3 === 0 ? "stock_bajo" : "nueva_compra",
    }));
  }

  it("starts over in the new scope, and pages with the last item's account in the cursor", async () => {
    const { backend, feed } = stores(PAGE_SIZE * 3);
    await feed.loadMore();
    await feed.setScope({ account: "a-centro" });
    expect(feed.narrowed).toBe(true);
    expect(backend.callsOf("listNotifications")[1]).toEqual([
      "unread",
      null,
      PAGE_SIZE,
      { account: "a-centro", kind: null, group: false },
    ]);
    expect(feed.items.every((n) => n.account === "a-centro")).toBe(true);
    const last = feed.items.at(-1)!;
    await feed.loadMore();
    expect(backend.callsOf("listNotifications")[2]![1]).toEqual({
      created_at: last.created_at,
      id: last.id,
      account: "a-centro",
    });
    await feed.setScope({ kind: "stock_bajo" });
    expect(feed.items.every((n) => n.account === "a-centro" && n.kind === "stock_bajo")).toBe(true);
    // The same scope again is not a new list.
    await feed.setScope({ account: "a-centro", kind: "stock_bajo" });
    expect(backend.callsOf("listNotifications")).toHaveLength(4);
  });

  it("takes in live notifications of its store and kind only", async () => {
    const { feed } = stores(6);
    await feed.setScope({ account: "a-centro", kind: "nueva_compra" });
    const before = feed.items.map((n) => n.id);
    feed.receive(notification(-1, { id: "2001", account: "b-norte", kind: "nueva_compra" }));
    feed.receive(notification(-2, { id: "2002", account: "a-centro", kind: "stock_bajo" }));
    feed.receive(notification(-3, { id: "2003", account: "a-centro", kind: "nueva_compra" }));
    expect(feed.items.map((n) => n.id)).toEqual(["2003", ...before]);
    // The same in a burst.
    vi.useFakeTimers();
    feed.queue(notification(-4, { id: "2004", account: "b-norte", kind: "nueva_compra" }));
    feed.queue(notification(-5, { id: "2005", account: "a-centro", kind: "nueva_compra" }));
    vi.advanceTimersByTime(RECEIVE_BATCH_MS);
    expect(feed.items.map((n) => n.id)).toEqual(["2005", "2003", ...before]);
  });

  it("grouped: pages come store by store, and live items go into their store's group", async () => {
    const { backend, feed } = stores(10);
    await feed.setScope({ group: true });
    expect(backend.callsOf("listNotifications").at(-1)![3]).toEqual({
      account: null,
      kind: null,
      group: true,
    });
    const accounts = feed.items.map((n) => n.account);
    expect(accounts).toEqual([...Array(5).fill("a-centro"), ...Array(5).fill("b-norte")]);
    // Newest first within each store.
    const times = feed.items.slice(0, 5).map((n) => Date.parse(n.created_at));
    expect(times).toEqual([...times].sort((x, y) => y - x));
    feed.receive(notification(-1, { id: "2001", account: "b-norte" }));
    feed.receive(notification(-2, { id: "2002", account: "a-centro" }));
    expect(feed.items[0]!.id).toBe("2002");
    expect(feed.items[6]!.id).toBe("2001");
    // A store named after the last one loaded, while pages remain, waits for its page.
    const paged = stores(PAGE_SIZE * 2 + 10).feed;
    await paged.setScope({ group: true });
    expect(paged.items.at(-1)!.account).toBe("a-centro");
    paged.receive(notification(-1, { id: "3001", account: "c-sur" }));
    paged.receive(notification(-1, { id: "3002", account: "a-centro" }));
    expect(paged.items.map((n) => n.id)).not.toContain("3001");
    expect(paged.items[0]!.id).toBe("3002");
  });

  it("says where each store's header goes (grouped lists only)", () => {
    const items = [
      notification(0, { account: "a" }),
      notification(1, { account: "a" }),
      notification(2, { account: "b" }),
    ];
    expect(feedRows(items, true).map((r) => (r.type === "header" ? `# ${r.account}` : r.item))).toEqual([
      "# a",
      0,
      1,
      "# b",
      2,
    ]);
    expect(feedRows(items, false).map((r) => r.type)).toEqual(["item", "item", "item"]);
  });

  it("calls onMarked after each mark the shell took (to recount the chips), not after a refused one", async () => {
    const backend = new FakeBackend();
    backend.store = [notification(0), notification(1), notification(2)];
    let marked = 0;
    const feed = new FeedState(backend, { onMarked: () => marked++ });
    await feed.loadMore();
    await feed.markRead(feed.items[0]!);
    await feed.open(feed.items[0]!);
    await feed.markAllRead();
    expect(marked).toBe(3);
    backend.failures.markRead = { code: "storage", message: "disk full" };
    await feed.markRead(notification(2));
    expect(marked).toBe(3);
  });
});

describe("FeedState before its first page", () => {
  it("keeps live items until the first page is there, then puts them in the page's order (grouped too)", async () => {
    const backend = new FakeBackend();
    backend.store = [
      notification(1, { account: "a-centro" }),
      notification(2, { account: "b-norte" }),
      notification(3, { account: "a-centro", read: true }),
    ];
    const feed = new FeedState(backend);
    feed.scope = { account: null, kind: null, group: true };
    const page = feed.loadMore();
    // A store after the first one arrives before the page: it must not end up on top of the grouped list.
    feed.receive(notification(0, { account: "b-norte", id: "2000" }));
    // Read while it waits: it is not brought back as unread.
    feed.receive(notification(-1, { account: "a-centro", id: "2001" }));
    feed.applyRead({ account: "a-centro", ids: ["2001"], all: false });
    expect(feed.items).toEqual([]);
    await page;
    expect(feed.items.map((n) => [n.account, n.id])).toEqual([
      ["a-centro", "999"],
      ["b-norte", "2000"],
      ["b-norte", "998"],
    ]);
  });
});
