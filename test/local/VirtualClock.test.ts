import { VirtualClock, VIRTUAL_EPOCH } from '../../local/clock/VirtualClock.ts';

describe('VirtualClock', () => {
  it('wakes sleepers in time order and costs no real time for long waits', async () => {
    const clock = new VirtualClock();
    const woke: string[] = [];
    void clock.sleep(3600).then(() => woke.push(`hour@${clock.seconds}`));
    void clock.sleep(5).then(() => woke.push(`five@${clock.seconds}`));
    const started = performance.now();
    await clock.runUntil(Number.POSITIVE_INFINITY);
    expect(woke).toEqual(['five@5', 'hour@3600']);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('fires timers at the same instant in the order they were scheduled', async () => {
    const clock = new VirtualClock();
    const order: number[] = [];
    for (let i = 0; i < 5; i++) clock.schedule(10, () => order.push(i));
    await clock.runUntil(10);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('lets woken work run to its next block before advancing', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(10);
        await Promise.resolve();
        seen.push(clock.seconds);
      }
    };
    void worker();
    await clock.runUntil(100);
    expect(seen).toEqual([10, 20, 30]);
    expect(clock.seconds).toBe(100);
  });

  it('does not advance while tracked real I/O is in flight', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    void (async () => {
      await clock.track(new Promise((resolve) => setTimeout(resolve, 20)));
      seen.push(clock.seconds);
      await clock.sleep(1);
      seen.push(clock.seconds);
    })();
    clock.schedule(50, () => seen.push(-50));
    await clock.runUntil(100);
    expect(seen).toEqual([0, 1, -50]);
  });

  it('repeats every period until cancelled', async () => {
    const clock = new VirtualClock();
    const ticks: number[] = [];
    const handle = clock.every(10, 10, (at) => {
      ticks.push(at);
      if (ticks.length === 3) handle.cancel();
    });
    await clock.runUntil(100);
    expect(ticks).toEqual([10, 20, 30]);
  });

  it('skips cancelled timers', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.schedule(5, () => fired.push('a')).cancel();
    clock.schedule(6, () => fired.push('b'));
    await clock.runUntil(10);
    expect(fired).toEqual(['b']);
  });

  it('stops early when asked', async () => {
    const clock = new VirtualClock();
    let n = 0;
    clock.every(1, 1, () => n++);
    await clock.runUntil(1000, () => n >= 4);
    expect(clock.seconds).toBe(4);
  });

  it('maps virtual seconds to stable instants and back', () => {
    const clock = new VirtualClock();
    expect(clock.now().toISOString()).toBe(new Date(VIRTUAL_EPOCH).toISOString());
    expect(clock.secondsAt(new Date(VIRTUAL_EPOCH + 90_500))).toBe(90.5);
  });

  it('rejects a negative sleep', async () => {
    await expect(new VirtualClock().sleep(-1)).rejects.toThrow(
      'sleep needs a finite, non-negative number of seconds (got -1)',
    );
  });
});
