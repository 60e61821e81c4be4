import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Clock } from '../../shared/ports/Clock.ts';

/** A scheduled callback; `cancel()` keeps it from running. */
export interface TimerHandle {
  readonly at: number;
  cancel(): void;
}

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

/** The virtual epoch: second 0 of every simulation is this instant, so ISO timestamps are stable. */
export const VIRTUAL_EPOCH = Date.UTC(2030, 0, 1, 0, 0, 0);

/**
 * A discrete-event clock. Time stands still while anything runs; `runUntil` advances it to the
 * earliest pending wake-up only once every task is blocked on the clock (no microtasks or tracked
 * real I/O, such as the embedded DynamoDB's loopback requests, are pending). Long virtual waits
 * therefore cost no real time, and runs are deterministic.
 */
export class VirtualClock implements Clock {
  private current = 0;
  private seq = 0;
  private readonly queue: Timer[] = [];
  private inflight = 0;
  private activity = 0;
  private idleWaiters: (() => void)[] = [];

  /** Seconds since the start of the simulation. */
  get seconds(): number {
    return this.current;
  }

  now(): Date {
    return new Date(VIRTUAL_EPOCH + Math.round(this.current * 1000));
  }

  /** Virtual seconds for an instant, the inverse of `now()`. */
  secondsAt(instant: Date | string): number {
    return (new Date(instant).getTime() - VIRTUAL_EPOCH) / 1000;
  }

  /** The ISO instant of a virtual second. */
  secondsToIso(seconds: number): string {
    return new Date(VIRTUAL_EPOCH + Math.round(seconds * 1000)).toISOString();
  }

  sleep(seconds: number): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0) {
      return Promise.reject(
        new RangeError(`sleep needs a finite, non-negative number of seconds (got ${seconds})`),
      );
    }
    return new Promise((resolve) => this.schedule(this.current + seconds, resolve));
  }

  /** Runs `run` when the clock reaches `at` (or at once, on the next advance, if `at` has passed). */
  schedule(at: number, run: () => void): TimerHandle {
    const timer: Timer = { at: Math.max(at, this.current), seq: this.seq++, run, cancelled: false };
    this.push(timer);
    this.activity++;
    return {
      at: timer.at,
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Runs `run` every `period` seconds from `start` until the returned handle is cancelled. */
  every(start: number, period: number, run: (at: number) => void): TimerHandle {
    if (!(period > 0)) throw new RangeError(`every needs a positive period (got ${period})`);
    let cancelled = false;
    let next: TimerHandle;
    const tick = (at: number): void => {
      if (cancelled) return;
      run(at);
      next = this.schedule(at + period, () => {
        tick(at + period);
      });
    };
    next = this.schedule(start, () => {
      tick(start);
    });
    return {
      get at() {
        return next.at;
      },
      cancel: () => {
        cancelled = true;
        next.cancel();
      },
    };
  }

  /** Marks real asynchronous work (I/O) so the clock does not advance until it settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.inflight++;
    this.activity++;
    const done = (): void => {
      this.inflight--;
      this.activity++;
      if (this.inflight === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    };
    return work.then(
      (value) => {
        done();
        return value;
      },
      (error: unknown) => {
        done();
        throw error;
      },
    );
  }

  /** Counts as activity: something happened that may schedule more work. */
  touch(): void {
    this.activity++;
  }

  /** The time of the next pending wake-up, if any. */
  nextWakeUp(): number | undefined {
    this.dropCancelled();
    return this.queue[0]?.at;
  }

  /**
   * Advances virtual time, firing every timer due up to `limit` in order, letting everything it
   * wakes run to its next block before moving on. Stops at `limit` (or when nothing is pending and
   * `limit` is infinite). Returns the time it stopped at.
   */
  async runUntil(limit: number, shouldStop: () => boolean = () => false): Promise<number> {
    for (;;) {
      await this.settle();
      if (shouldStop()) return this.current;
      this.dropCancelled();
      const next = this.queue[0];
      if (next === undefined || next.at > limit) break;
      this.pop();
      this.current = Math.max(this.current, next.at);
      next.run();
    }
    if (Number.isFinite(limit)) this.current = Math.max(this.current, limit);
    return this.current;
  }

  /** Resolves once no microtask, immediate or tracked I/O is pending and nothing new happened. */
  async settle(): Promise<void> {
    for (;;) {
      const before = this.activity;
      await nextTurn();
      await nextTurn();
      if (this.inflight > 0) {
        await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
        continue;
      }
      if (this.activity === before) return;
    }
  }

  private dropCancelled(): void {
    while (this.queue[0]?.cancelled === true) this.pop();
  }

  // A binary min-heap on (at, seq): equal times fire in the order they were scheduled.
  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(timer: Timer): void {
    const q = this.queue;
    q.push(timer);
    let i = q.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = q[parent];
      const c = q[i];
      if (p === undefined || c === undefined || !this.less(c, p)) break;
      q[parent] = c;
      q[i] = p;
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const q = this.queue;
    const top = q[0];
    const last = q.pop();
    if (q.length > 0 && last !== undefined) {
      q[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        const s = (): Timer | undefined => q[smallest];
        const lt = q[l];
        const rt = q[r];
        const cur = s();
        if (lt !== undefined && cur !== undefined && this.less(lt, cur)) smallest = l;
        const cur2 = s();
        if (rt !== undefined && cur2 !== undefined && this.less(rt, cur2)) smallest = r;
        if (smallest === i) break;
        const a = q[i];
        const b = q[smallest];
        if (a === undefined || b === undefined) break;
        q[i] = b;
        q[smallest] = a;
        i = smallest;
      }
    }
    return top;
  }
}
