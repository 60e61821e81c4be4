import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { bundledConfigText } from '../../shared/config/bundledConfig.ts';
import type { LifeboatConfig } from '../../shared/config/LifeboatConfig.ts';
import { PROJECT_ROOT } from '../projectRoot.ts';
import { acknowledgeUnscopedActions, acknowledgeWildcardBelow } from './nag.ts';

export interface LifeboatFunctionProps {
  /** The folder under `functions/` that holds the function's `handler.ts`. */
  readonly name: string;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  /** How long CloudWatch Logs keeps the function's logs. */
  readonly logRetention: RetentionDays;
  /**
   * The handler file to bundle.
   * @default `functions/<name>/handler.ts`
   */
  readonly entry?: string;
  /**
   * A fixed name for the function's role, for a principal another region's stack must name (an EKS
   * access entry on a cluster elsewhere).
   * @default a name CloudFormation generates
   */
  readonly roleName?: string;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** Extra environment variables; the Powertools variables are always set. */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Lambda's active X-Ray tracing, a trace per invocation. Off only for a function that runs on a
   * schedule every minute and whose outcome is a metric of its own (the probe): a trace a minute in
   * every region is $0.66 a month of X-Ray for nothing a person reads.
   * @default true
   */
  readonly activeTracing?: boolean;
  /**
   * The Lifeboat config to bundle into the function, where `process.env.LIFEBOAT_CONFIG` reads it
   * (validated at synth and embedded in its parsed form: see `bundledConfigText`). Bundled rather
   * than an environment variable: Lambda allows only 4 KB of those, and one config describes every
   * application.
   * @default no config
   */
  readonly config?: LifeboatConfig;
}

/**
 * How every function is bundled (the options `NodejsFunction` hands to esbuild); exported so that
 * the bundle-size benchmark builds exactly what a deployment ships. The AWS SDK v3 stays external:
 * the Node.js 24 runtime provides it. So does Powertools' Tracer (and the X-Ray SDK under it) unless
 * the config traces AWS calls: `shared/runtime/tracing.ts` imports it only then, so a bundle that
 * does not trace never reaches the import and need not carry the code.
 */
export function lifeboatBundling(config?: LifeboatConfig): BundlingOptions & {
  readonly externalModules: string[];
} {
  return {
    format: OutputFormat.ESM,
    target: 'node24',
    minify: true,
    sourceMap: true,
    mainFields: ['module', 'main'],
    externalModules: [
      '@aws-sdk/*',
      ...(config?.tracing.awsCalls === true ? [] : ['@aws-lambda-powertools/tracer']),
    ],
    // Some dependencies still call require(); give the ESM bundle one.
    banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    ...(config === undefined
      ? {}
      : {
          // A JavaScript string literal: esbuild puts it where the code reads the variable.
          define: { 'process.env.LIFEBOAT_CONFIG': JSON.stringify(bundledConfigText(config)) },
        }),
  };
}

/**
 * Every Lambda function of Lifeboat: arm64, Node.js 24, an ESM bundle with source maps, active
 * X-Ray tracing, its own log group with retention, and a role that may write to that log group
 * and nothing else until a grant adds to it.
 */
export class LifeboatFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: Role;
  /** The handler file the bundle is built from (what the local runtime's AWS twin imports). */
  public readonly entry: string;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: LifeboatFunctionProps) {
    super(scope, id);
    if (!/^[a-z][a-z0-9-]*$/.test(props.name)) {
      throw new Error(
        `LifeboatFunction ${id}: name "${props.name}" must be a folder name under functions/ (lowercase, digits, hyphens)`,
      );
    }
    const memorySize = props.memorySize ?? 256;
    if (memorySize < 128 || memorySize > 10240) {
      throw new Error(`LifeboatFunction ${id}: memorySize ${memorySize} is outside Lambda's 128 to 10240 MB`);
    }
    const functionName = `lifeboat-${props.name}`;
    this.entry = props.entry ?? join(PROJECT_ROOT, 'functions', props.name, 'handler.ts');

    this.logGroup = new LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // A role of our own instead of the AWSLambdaBasicExecutionRole managed policy, whose
    // CreateLogGroup/PutLogEvents apply to every log group in the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      ...(props.roleName === undefined ? {} : { roleName: props.roleName }),
      description: `Execution role of ${functionName}`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${this.logGroup.logGroupArn}:*`],
      }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      functionName,
      description: props.description,
      entry: this.entry,
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: props.activeTracing === false ? Tracing.DISABLED : Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: functionName,
        POWERTOOLS_METRICS_NAMESPACE: 'Lifeboat',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: lifeboatBundling(props.config),
    });

    acknowledgeUnscopedActions(
      this.role,
      'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which have no resource-level permissions.',
    );
    acknowledgeWildcardBelow(
      this.role,
      this.logGroup,
      "Log streams of the function's own log group; Lambda names the streams at run time.",
    );
  }
}
