//! Mirror of the live stream channels (`get_streams`, `streams://updated`); the view shows only when there are some.
import type { Backend } from "../ipc";
import type { StreamChannel } from "../types";

const same = (a: StreamChannel, b: StreamChannel) => a.account === b.account && a.channel === b.channel;

export class StreamsState {
  channels = $state.raw<StreamChannel[]>([]);
  readonly #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  readonly available: boolean = $derived(this.channels.length > 0);

  async load(): Promise<void> {
    this.channels = await this.#backend.getStreams();
  }

  upsert(channel: StreamChannel): void {
    const index = this.channels.findIndex((c) => same(c, channel));
    this.channels =
      index === -1 ? [...this.channels, channel] : this.channels.map((c, i) => (i === index ? channel : c));
  }
}
