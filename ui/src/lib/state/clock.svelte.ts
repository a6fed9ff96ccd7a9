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

  /** Starts ticking; returns the stop function, for an `$effect` cleanup. */
  start(): () => void {
    this.now = this.#source();
    const timer = setInterval(() => (this.now = this.#source()), this.#period);
    return () => clearInterval(timer);
  }
}
