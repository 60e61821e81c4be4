/**
 * Every error name a Lifeboat workflow can end with: what it means and what to do. The runbook and
 * docs/inputs.md list these; a test checks the list covers every name the state machines match and
 * every error class the step code throws.
 */
export interface ErrorGuide {
  readonly meaning: string;
  readonly fix: string;
}

export const ERROR_GUIDE: Readonly<Record<string, ErrorGuide>> = {
  InvalidInput: {
    meaning: 'The input cannot be acted on; the run ended at its first state and changed nothing.',
    fix: 'Read the cause: it names each wrong field. Fix the input and start again.',
  },
  ThrottledError: {
    meaning: 'An AWS or Slack API refused a call for rate, more times than the retries allow.',
    fix: 'Wait a minute and start again; if it persists, look for another caller using the same API quota.',
  },
  TransientServiceError: {
    meaning: 'A call failed in a way that may pass (5xx, timeout, a region not answering) after every retry.',
    fix: 'Check the AWS Health Dashboard for the service and region in the cause; start again when it answers.',
  },
  PermanentServiceError: {
    meaning: 'A call failed in a way that will not pass: access denied, not found, invalid state.',
    fix: 'Read the cause (it names the API error); fix the permission or the resource, then start again.',
  },
  PreconditionFailedError: {
    meaning:
      'The estate is not in a state the step can act on, for example the target fails its health check.',
    fix: 'Look at the resource the cause names; fix it, or start by hand with "force" if a person judges it safe.',
  },
  NotReadyError: {
    meaning: 'A status loop ran out of time: the database was not writable or the workloads not ready.',
    fix: 'Look at the resource the cause names (RDS events, pending pods); when it is ready, start again: steps already done are skipped.',
  },
  DatabaseBusyError: {
    meaning:
      'The database refused the promotion for an hour: RDS does not promote a read replica while it is backing up (or in another passing state); a CloudNativePG primary being demoted had not written its demotion token.',
    fix: 'Look at the instance status and events in the RDS console of the target region; once it is available, start the failover (or the failback, or the switchover) again: steps already done are skipped.',
  },
  SlackUnavailable: {
    meaning:
      'Slack did not take the approval request (down, or it refused the post) after the retries: every minute for an hour when slack.whenSlackIsDown is "wait".',
    fix: 'Nothing moved. Check Slack status and the bot token secret; start again, or decide without Slack by starting the workflow by hand.',
  },
  ApprovalNotPosted: {
    meaning:
      'Slack did not take the approval request and slack.whenSlackIsDown is "fail": the run ended at once.',
    fix: 'Nothing moved. Check Slack status and the bot token secret (Secrets Manager), then start again.',
  },
  ApprovalRejected: {
    meaning:
      'An allowed approver pressed Reject on Slack; the run ended ABORTED (status REJECTED in the ledger) with nothing moved.',
    fix: 'Nothing to repair. Read who rejected it and why in the Slack thread; start again when the team agrees.',
  },
  ReadinessFailed: {
    meaning: 'The readiness drill found that a failover could not run now (a critical finding failed).',
    fix: 'Read the findings in the drill record (lifeboat history --kind drill); fix each critical one and run the drill again.',
  },
  GameDayFailed: {
    meaning:
      "The game day's failover did not succeed within the RTO and RPO targets, the primary did not come back, or its failback did not succeed.",
    fix: "Read the findings in the drill record (lifeboat history --kind drill) and the failover's and failback's own records; fix what they name and run the game day again.",
  },
  EvacuationIncomplete: {
    meaning:
      "An application's failover did not succeed, or was still running at the evacuation's deadline; the evacuation's record lists each application's outcome.",
    fix: "Read the record (lifeboat history --kind evacuation) and each failover's own record; fail over what is left by hand (lifeboat start failover), or start the evacuation again.",
  },
  EvacuationFailed: {
    meaning:
      'A step of the evacuation itself failed (the ledger, or a failover it could not start); its record has the error. The failovers it started run on by themselves.',
    fix: "Read the error in the record; follow the failovers already started (lifeboat status), and start the evacuation again once the cause is fixed: a new evacuation plans only what the failing region still serves, and a failover still running keeps its application's lock.",
  },
  RestoreTestFailed: {
    meaning:
      'The restore test could not restore the latest backup copy, or a check of the restored database failed (status, engine, restore time against the RTO, data age).',
    fix: 'Read the checks in the record (lifeboat history --kind restore-test); fix the backup or restore settings and run the test again. The temporary instance is deleted either way.',
  },
  ConfigError: {
    meaning:
      "A step's function was deployed with a config or environment it cannot use (a deployment error).",
    fix: 'Read the cause (it names the setting); fix the config and deploy the control-plane stack again.',
  },
  'States.Timeout': {
    meaning: 'A task ran longer than its timeout.',
    fix: "Look at the step's Lambda logs for where it waited; start again.",
  },
  'States.Runtime': {
    meaning:
      'Step Functions could not run the definition on this input (a path that does not exist); no Catch applies.',
    fix: 'A defect of the state machine: read the cause for the state and path, and report it with the execution ARN.',
  },
  'States.TaskFailed': {
    meaning: 'A task failed with an error that has no name of its own.',
    fix: "Read the cause and the step's Lambda logs.",
  },
  'Lambda.TooManyRequestsException': {
    meaning: "Lambda throttled the step's function (concurrency), more times than the retries allow.",
    fix: 'Raise the account or function concurrency, then start again.',
  },
  'Lambda.ServiceException': {
    meaning: 'Lambda itself failed to run the step, after every retry.',
    fix: 'Check the AWS Health Dashboard for Lambda in the region; start again.',
  },
  'Lambda.AWSLambdaException': {
    meaning: 'Lambda refused the invocation, after every retry.',
    fix: 'Check the function exists and its configuration; start again.',
  },
  'Lambda.SdkClientException': {
    meaning: 'Step Functions could not reach Lambda, after every retry.',
    fix: 'Start again; if it persists, check the region’s health.',
  },
};
