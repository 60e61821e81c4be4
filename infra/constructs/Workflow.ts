import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { definitionOf } from '../../shared/statemachines/definitions.ts';
import { substitutionProblems } from '../../shared/statemachines/placeholders.ts';
import { PROJECT_ROOT } from '../projectRoot.ts';
import { acknowledgeUnscopedActions, acknowledgeWildcardBelow } from './nag.ts';

export interface WorkflowProps {
  /** The workflow's name: its definition is `statemachines/<name>.asl.json`. */
  readonly name: string;
  /** Values for the `${Placeholder}`s in the definition; each placeholder needs one, and each must be used. */
  readonly substitutions: Readonly<Record<string, string>>;
  /** How long CloudWatch Logs keeps the execution history. */
  readonly logRetention: RetentionDays;
  /**
   * The functions the workflow's Task states invoke; the state machine may invoke these and no others.
   * @default none
   */
  readonly functions?: readonly IFunction[];
  /**
   * The definition file to load.
   * @default `statemachines/<name>.asl.json`, or the definition the workflow shares (`definitionOf`)
   */
  readonly definitionFile?: string;
  /**
   * The longest an execution may run before Step Functions stops it (TIMED_OUT: the run-ended
   * recorder records it and cuts its lock's lease). Written into the definition as its top-level
   * `TimeoutSeconds`; the definition file must not set one.
   * @default Duration.hours(24)
   */
  readonly timeout?: Duration;
}

/** Step Functions' longest Standard execution: one year. */
const MAX_TIMEOUT_SECONDS = 365 * 24 * 3600;

/**
 * A Standard state machine loaded from `statemachines/<name>.asl.json` (the same file the local
 * runner executes), with every execution logged at level ALL and traced with X-Ray.
 */
export class Workflow extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const file =
      props.definitionFile ?? join(PROJECT_ROOT, 'statemachines', `${definitionOf(props.name)}.asl.json`);
    let definition: string;
    let asl: Record<string, unknown>;
    try {
      definition = readFileSync(file, 'utf8');
      const parsed: unknown = JSON.parse(definition);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error('the definition is not a JSON object');
      }
      asl = parsed as Record<string, unknown>;
    } catch (error) {
      throw new Error(`Workflow ${props.name}: cannot load ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const problems = substitutionProblems(definition, props.substitutions);
    if (problems.length > 0) {
      throw new Error(`Workflow ${props.name}: ${file} ${problems.join('; ')}`);
    }
    // The timeout has one source, this construct: the failback's and the drill's follow the config
    // (the approval's wait), which a definition file cannot express, since a substitution is a
    // string and TimeoutSeconds a number. The local runner, which has no execution timeout, reads the
    // files as they are.
    if ('TimeoutSeconds' in asl) {
      throw new Error(
        `Workflow ${props.name}: ${file} sets TimeoutSeconds; give the workflow's timeout to the construct instead`,
      );
    }
    const timeoutSeconds = (props.timeout ?? Duration.hours(24)).toSeconds({ integral: false });
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
      throw new Error(
        `Workflow ${props.name}: timeout ${timeoutSeconds} s is not a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS} (a year)`,
      );
    }

    this.logGroup = new LogGroup(this, 'LogGroup', {
      // The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy from growing per log group.
      logGroupName: `/aws/vendedlogs/states/lifeboat-${props.name}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: `lifeboat-${props.name}`,
      stateMachineType: StateMachineType.STANDARD,
      // Step Functions reads an execution's timeout from the definition's top-level TimeoutSeconds.
      // CDK's `timeout` reaches only definitions CDK builds from states, never a loaded file or
      // string (https://github.com/aws/aws-cdk/issues/37150), so the definition carries it itself.
      // Its `${...}` function ARNs are filled in at deployment from `definitionSubstitutions`.
      definitionBody: DefinitionBody.fromString(JSON.stringify({ ...asl, TimeoutSeconds: timeoutSeconds })),
      definitionSubstitutions: { ...props.substitutions },
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });

    for (const fn of props.functions ?? []) {
      fn.grantInvoke(this.stateMachine);
      acknowledgeWildcardBelow(
        this.stateMachine.role,
        fn,
        'lambda:InvokeFunction on the versions and aliases of one named function.',
      );
    }
    acknowledgeUnscopedActions(
      this.stateMachine.role,
      'Step Functions log delivery (logs:CreateLogDelivery and related) and X-Ray tracing have no resource-level permissions.',
    );
  }
}
