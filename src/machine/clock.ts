// Virtual time: one clock and one event queue for the whole machine.
//
// Time is counted in nanoseconds of guest time, as a float64 (exact up to
// 2^53 ns, about 104 days). It advances only when the board says so: the CPU
// runs until the next event is due, then the board advances the clock by the
// instructions executed (or, on HLT, straight to the next event). No device
// reads the wall clock; devices compute counters from the time they were
// loaded (see pit8254.ts) and schedule an event only for an edge they must
// deliver.

export interface ClockEvent {
  /** Guest time in ns at which the callback fires. */
  readonly at: number;
  readonly callback: (now: number) => void;
  cancelled: boolean;
}

export class VirtualClock {
  /** Current guest time in nanoseconds. */
  now = 0;
  private queue: ClockEvent[] = [];
  private sequence = 0;
  private readonly order = new WeakMap<ClockEvent, number>();

  /** Schedule `callback` at absolute guest time `at` (ns). */
  at(at: number, callback: (now: number) => void): ClockEvent {
    const event: ClockEvent = { at: Math.max(at, this.now), callback, cancelled: false };
    this.order.set(event, this.sequence++);
    this.insert(event);
    return event;
  }

  /** Schedule `callback` `delay` ns from now. */
  after(delay: number, callback: (now: number) => void): ClockEvent {
    return this.at(this.now + delay, callback);
  }

  cancel(event: ClockEvent | undefined | null): void {
    if (event) event.cancelled = true;
  }

  /** Guest time of the next live event, or Infinity. */
  nextEventTime(): number {
    while (this.queue.length && this.queue[0].cancelled) this.queue.shift();
    return this.queue.length ? this.queue[0].at : Infinity;
  }

  /** Move time forward to `time` (never backward), firing every event due on the way, in order. */
  advanceTo(time: number): void {
    for (;;) {
      const next = this.nextEventTime();
      if (next > time) break;
      const event = this.queue.shift()!;
      if (next > this.now) this.now = next;
      event.callback(this.now);
    }
    if (time > this.now) this.now = time;
  }

  private insert(event: ClockEvent): void {
    // Stable: equal times fire in the order they were scheduled.
    const seq = this.order.get(event)!;
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const other = this.queue[mid];
      if (other.at < event.at || (other.at === event.at && this.order.get(other)! < seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, event);
  }
}
