import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** The `RetentionDays` member for a number of days, which the config schema already limits to valid ones. */
export function retentionDays(days: number): RetentionDays {
  const match = Object.values(RetentionDays).find((value): value is RetentionDays => Number(value) === days);
  if (match === undefined) throw new Error(`CloudWatch Logs cannot keep logs for ${days} days`);
  return match;
}
