/** Time as a step sees it: the wall clock in Lambda, the virtual clock in a rehearsal. */
export interface Clock {
  now(): Date;
  /** Resolves after `seconds` of this clock's time. */
  sleep(seconds: number): Promise<void>;
}
