/** What the Slack callback and the offer need from Step Functions. */
export interface WorkflowControl {
  /**
   * Resumes a task waiting on `taskToken` in `region`; `gone` when it no longer waits (it timed
   * out, or its execution ended), which is not an error for the caller.
   */
  sendTaskSuccess(
    region: string,
    taskToken: string,
    output: Record<string, unknown>,
  ): Promise<'delivered' | 'gone'>;
  sendTaskFailure(
    region: string,
    taskToken: string,
    error: string,
    cause: string,
  ): Promise<'delivered' | 'gone'>;
  /** Starts a workflow in `region` under a deterministic name: a repeat is `already-started`. */
  start(
    region: string,
    workflow: 'failover' | 'failback',
    name: string,
    input: Record<string, unknown>,
  ): Promise<'started' | 'already-started'>;
}
