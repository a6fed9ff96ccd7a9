//! A reactive "now" that ticks at a fixed period: each minute for relative times, each second for countdowns.

export class Clock {
  now = $state(0);
  readonly #period: number;
  readonly #source: () => number;

  constructor(periodMs: number, source: () => number = Date.now) {
    this.#period = periodMs;
    this.#source = source;
    this.now = source();
  }

  /**
   * Starts ticking; returns the stop function, for an `$effect` cleanup. While the page is hidden (a minimized
   * panel) it does not tick, and it catches up at once when the page shows again.
   */
  start(): () => void {
    let timer: ReturnType<typeof setInterval> | undefined;
    const run = (): void => {
      this.now = this.#source();
      timer ??= setInterval(() => (this.now = this.#source()), this.#period);
    };
    const pause = (): void => {
      clearInterval(timer);
      timer = undefined;
    };
    const doc = typeof document === "undefined" ? null : document;
    const onVisibility = (): void => (doc?.visibilityState === "hidden" ? pause() : run());
    doc?.addEventListener("visibilitychange", onVisibility);
    onVisibility();
    return () => {
      pause();
      doc?.removeEventListener("visibilitychange", onVisibility);
    };
  }
}
