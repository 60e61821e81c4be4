import type { ApplicationConfig, LifeboatConfig } from '../config/LifeboatConfig.ts';

/*
 * The failover's request as every step after ValidateInput sees it, apart from the input check
 * (FailoverInput.ts), which needs zod: the step functions import this, and load the check only in
 * the step that runs it, so their cold start does not build the input schema.
 */

/**
 * The lock's lease: longer than a failover can run. Its DNS change (ShiftTraffic) is retried for
 * about 24 hours while Route 53's API, in us-east-1, does not answer; the rest takes under two.
 */
export const LOCK_LEASE_SECONDS = 26 * 3600;

/** The input once checked against the config and the estate: what every later step works from. */
export interface FailoverRequest {
  readonly application: string;
  readonly sourceRegion: string;
  readonly targetRegion: string;
  readonly mode: 'manual' | 'automatic';
  readonly dryRun: boolean;
  readonly force: boolean;
  readonly reason: string;
  /** When the outage was detected: the first ALARM, or the start of a manual run. */
  readonly incidentStartedAt: string;
  /**
   * Where the RTO is measured from: the first failed check the alarms evaluated (automatic), else
   * `incidentStartedAt`; `rtoFrom` says which, in words.
   */
  readonly failureBeganAt?: string;
  /**
   * When the alarms that started the run say the source began to fail (the first failed check, else
   * the first ALARM); absent for a run a person started without an incident.
   */
  readonly sourceFailedAt?: string;
  readonly rtoFrom?: string;
  /** Seconds the automatic mode still waits, from now, before it re-checks the source. */
  readonly confirmationWaitSeconds: number;
  /** How long the run waits for a person when it must ask (lag over budget, forced target). */
  readonly approvalTimeoutSeconds: number;
  /** The lock's lease while it waits: the approval's timeout plus the failover's own lease. */
  readonly approvalLockLeaseSeconds: number;
}

export function findApplication(config: LifeboatConfig, name: string): ApplicationConfig | undefined {
  return config.applications.find((a) => a.name === name);
}
