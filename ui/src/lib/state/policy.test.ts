import { describe, expect, it } from "vitest";
import { FakeBackend, notification } from "../../test/fake-backend";
import { FeedState } from "./feed.svelte";
import { PolicyState } from "./policy.svelte";

describe("PolicyState", () => {
  it("edits rules, quiet hours and alarms as config.toml keys and saves them with set_policy", async () => {
    const backend = new FakeBackend();
    backend.policy.rules = [{ name: "pagos", kind: "pago_*", action: "quiet", custom: 1 }];
    const policy = new PolicyState(backend);
    await policy.load();
    expect(policy.dirty).toBe(false);
    policy.toggleAction(0, "no_badge", true);
    policy.set("rules", 0, "when", " datos.total >= 1000 ");
    policy.set("rules", 0, "name", "");
    policy.add("quiet_hours");
    policy.set("quiet_hours", 0, "days", "lun, mar  mie");
    policy.add("silence");
    policy.set("silence", 0, "after", "90m");
    expect(policy.dirty).toBe(true);
    expect(await policy.save()).toBe(true);
    const [[sent]] = backend.callsOf("setPolicy") as [[Record<string, unknown>]];
    expect(sent.rules).toEqual([
      // A key the panel does not edit passes through; an emptied one is left out (the engine's default).
      { kind: "pago_*", action: ["quiet", "no_badge"], custom: 1, when: "datos.total >= 1000" },
    ]);
    expect(sent.quiet_hours).toEqual([{ from: "22:00", to: "07:00", days: ["lun", "mar", "mie"] }]);
    expect(sent.silence).toEqual([{ kind: "*", after: "90m" }]);
    expect(policy.saved).toBe(true);
    expect(policy.dirty).toBe(false);
  });

  it("keeps the engine's problems on the form when the policy is refused", async () => {
    const backend = new FakeBackend();
    const policy = new PolicyState(backend);
    await policy.load();
    policy.add("rules");
    const problem = { code: "bad_comparison", message_es: "la regla «#1»…", message_en: "rule `#1`…" };
    backend.failures.setPolicy = { code: "bad_policy", message: "x", problems: [problem] };
    expect(await policy.save()).toBe(false);
    expect(policy.problems).toEqual([problem]);
    expect(policy.error).toBeNull();
    expect(policy.dirty).toBe(true);
    policy.discard();
    expect(policy.dirty).toBe(false);
    expect(policy.problems).toEqual([]);
  });
});

describe("FeedState snooze", () => {
  it("snoozes through the shell, drops the item from unread, and takes it back when released", async () => {
    const backend = new FakeBackend();
    backend.store = [notification(1), notification(2)];
    const feed = new FeedState(backend);
    await feed.loadMore();
    const item = feed.items[0]!;
    expect(await feed.snooze(item, "1h")).toBe(true);
    expect(backend.callsOf("snooze")).toEqual([["tienda", item.id, "1h"]]);
    expect(feed.items.map((n) => n.id)).toEqual([feed.items[0]!.id]);
    expect(feed.items.some((n) => n.id === item.id)).toBe(false);
    feed.receive(item);
    expect(feed.items.map((n) => n.id)).toEqual([item.id, notification(2).id]);
  });

  it("shows a refused time as an action error and keeps the item", async () => {
    const backend = new FakeBackend();
    backend.store = [notification(1)];
    const feed = new FeedState(backend);
    await feed.loadMore();
    backend.failures.snooze = { code: "bad_when", message: "past" };
    expect(await feed.snooze(feed.items[0]!, "2000-01-01 09:00")).toBe(false);
    expect(feed.actionError?.code).toBe("bad_when");
    expect(feed.items).toHaveLength(1);
  });
});
