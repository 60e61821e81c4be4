import type { MovingWorkflow } from './Estate.ts';

/**
 * Approvals: a person's Approve or Reject on Slack, for a workflow that waits on a task token (a
 * step approval) or for an offer to start one (the failback offer). The task token stays here, in
 * the encrypted ledger table, under a short id; the Slack message carries only the id.
 */

/** EXPIRED: an offer whose deadline passed unanswered (a step approval's wait ends TIMED_OUT). */
export type ApprovalStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'TIMED_OUT' | 'CANCELLED' | 'EXPIRED';

export interface ApprovalRecord {
  /** Short and opaque (10 lowercase letters and digits): what the Slack buttons carry. */
  readonly id: string;
  /** `step`: a waiting workflow's task token; `offer`: approving starts the workflow. */
  readonly kind: 'step' | 'offer';
  readonly application: string;
  readonly workflow: MovingWorkflow | 'drain';
  /** The region the workflow moves traffic to, where it runs. */
  readonly targetRegion: string;
  /** The waiting execution (step approvals). */
  readonly executionName?: string;
  /** The waiting task's token (step approvals); never leaves the table but for SendTask*. */
  readonly taskToken?: string;
  readonly channel: string;
  /** The Slack message's `ts`, once posted. */
  readonly messageTs?: string;
  /** The message as posted, so its update can keep the facts and add the outcome. */
  readonly summary: string;
  readonly status: ApprovalStatus;
  readonly createdAt: string;
  /** After this instant no decision counts (the workflow's own timeout ends the wait). */
  readonly expiresAt: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  /** Whether the decision reached Step Functions (SendTaskSuccess/Failure, or the offer's StartExecution). */
  readonly delivered?: boolean;
  /** The failback execution an approved offer started (offers only). */
  readonly consumedBy?: string;
}

export type DecideResult =
  | { readonly outcome: 'decided'; readonly approval: ApprovalRecord }
  /** A decision was counted before (a double click, a replay, another approver). */
  | { readonly outcome: 'already-decided'; readonly approval: ApprovalRecord }
  /** The approval timed out, was cancelled, or its time ran out. */
  | { readonly outcome: 'closed'; readonly approval: ApprovalRecord }
  | { readonly outcome: 'unknown' };

export interface ApprovalStore {
  /** Creates the approval unless one with its id exists; returns the stored one either way. */
  create(approval: ApprovalRecord): Promise<{ created: boolean; approval: ApprovalRecord }>;
  get(id: string): Promise<ApprovalRecord | undefined>;
  /**
   * Sets the message's `ts` and, for a step approval re-run by a retry, the newest task token and
   * (while its question is not yet posted) the retry's own deadline.
   */
  attach(
    id: string,
    fields: { readonly messageTs?: string; readonly taskToken?: string; readonly expiresAt?: string },
  ): Promise<void>;
  /** Counts a decision once: only while PENDING and not past `expiresAt` (one conditional write). */
  decide(
    id: string,
    decision: { readonly status: 'APPROVED' | 'REJECTED'; readonly by: string; readonly at: Date },
  ): Promise<DecideResult>;
  /** Closes a PENDING approval (timed out, cancelled, an offer expired); returns whether it was PENDING. */
  close(id: string, status: 'TIMED_OUT' | 'CANCELLED' | 'EXPIRED', at: Date): Promise<boolean>;
  /**
   * Claims the delivery of a decision that was counted but not delivered (its first delivery died):
   * true for one caller, once no other claim is younger than `staleAfterSeconds`.
   */
  claimDelivery(id: string, at: Date, staleAfterSeconds: number): Promise<boolean>;
  /** Gives up a claim whose delivery failed, so the next press or retry delivers at once. */
  releaseDelivery(id: string): Promise<void>;
  markDelivered(id: string): Promise<void>;
  /** The approvals still PENDING, oldest first (one Query on a sparse index). */
  listPending(limit: number): Promise<ApprovalRecord[]>;
  /** Claims an APPROVED offer for one execution; true for that execution, again and again. */
  consume(id: string, executionName: string): Promise<boolean>;
}
