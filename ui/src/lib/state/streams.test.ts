import { describe, expect, it } from "vitest";
import { FakeBackend } from "../../test/fake-backend";
import type { StreamChannel } from "../types";
import { StreamsState } from "./streams.svelte";

const channel = (name: string, patch: Partial<StreamChannel> = {}): StreamChannel => ({
  account: "tienda",
  channel: name,
  state: "open",
  last_update: null,
  event: null,
  data: null,
  ...patch,
});

describe("StreamsState", () => {
  it("is unavailable without channels and updates one row per (account, channel)", async () => {
    const streams = new StreamsState(new FakeBackend());
    await streams.load();
    expect(streams.available).toBe(false);
    streams.upsert(channel("ventas"));
    streams.upsert(channel("stock"));
    streams.upsert(channel("ventas", { data: { total: 3 }, state: "polling" }));
    streams.upsert(channel("ventas", { account: "sucursal" }));
    expect(streams.available).toBe(true);
    expect(streams.channels.map((c) => `${c.account}/${c.channel}/${c.state}`)).toEqual([
      "tienda/ventas/polling",
      "tienda/stock/open",
      "sucursal/ventas/open",
    ]);
    expect(streams.channels[0]!.data).toEqual({ total: 3 });
  });
});
