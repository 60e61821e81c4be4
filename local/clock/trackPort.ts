import type { VirtualClock } from './VirtualClock.ts';

/**
 * Wraps every method of a port that does real I/O (the embedded DynamoDB) so the virtual clock
 * waits for it: time must not pass while a request is on the wire.
 */
export function trackPort<T extends object>(port: T, clock: VirtualClock): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        return result instanceof Promise ? clock.track(result) : result;
      };
    },
  });
}
