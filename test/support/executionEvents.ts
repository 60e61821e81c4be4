/**
 * Step Functions' "Execution Status Change" event as EventBridge delivers it: the failover
 * `manual-1` of ai-gateway stopped at 10:10 after starting at 10:00 UTC, with `detail` fields
 * replaced as given.
 */
export function statusChange(
  detail: Record<string, unknown> = {},
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    detail: {
      executionArn: 'arn:aws:states:us-west-2:123456789012:execution:lifeboat-failover:manual-1',
      stateMachineArn: 'arn:aws:states:us-west-2:123456789012:stateMachine:lifeboat-failover',
      name: 'manual-1',
      status: 'ABORTED',
      startDate: Date.parse('2026-11-22T10:00:00.000Z'),
      stopDate: Date.parse('2026-11-22T10:10:00.000Z'),
      input: JSON.stringify({ application: 'ai-gateway', targetRegion: 'us-west-2' }),
      error: null,
      cause: null,
      ...detail,
    },
    ...overrides,
  };
}
