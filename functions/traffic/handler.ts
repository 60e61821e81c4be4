import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { AlarmHealth } from '../../shared/failover/alarmHealth.ts';
import { CloudWatchAlarms } from '../../shared/aws/CloudWatchAlarms.ts';
import { CloudWatchFence } from '../../shared/aws/CloudWatchFence.ts';
import { CloudWatchTelemetry } from '../../shared/aws/CloudWatchTelemetry.ts';
import { HttpProbe } from '../../shared/aws/HttpProbe.ts';
import { LoadBalancerMetrics } from '../../shared/aws/LoadBalancerMetrics.ts';
import { engineDatabases, lazyEksAccess } from '../../shared/aws/EngineDatabases.ts';
import { cachedHealthCheckIds, DiscoveringRoute53Dns } from '../../shared/aws/healthCheckDiscovery.ts';
import { clientConfig, lambdaConfig, lambdaRegion, perRegion } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const FUNCTION = 'lifeboat-traffic';
const logger = new Logger();
const tracing = await functionTracing();
const config = lambdaConfig();
const route53 = tracing.client(new Route53Client(clientConfig()));
const cloudWatchIn = perRegion((region) => tracing.client(new CloudWatchClient(clientConfig(region))));
const alarms = new CloudWatchAlarms(cloudWatchIn);
const route53Dns = new DiscoveringRoute53Dns(route53, cachedHealthCheckIds(route53, config));

/**
 * Failover: FenceSource, ShiftTraffic, CheckChange, VerifyTarget. Failback: UnfenceTarget, ShiftStep,
 * Guard (the load balancer's metrics), RollBack, UnfenceStandbys (which reads the databases' roles).
 */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracing,
  ports: {
    // A fence vote in every control-plane region, through each region's CloudWatch endpoint.
    fence: new CloudWatchFence(cloudWatchIn, config),
    dns: route53Dns,
    // Route 53's view of each region: its health check's alarm in us-east-1 (AlarmHealth).
    health: new AlarmHealth(alarms),
    alarms,
    probe: new HttpProbe(),
    traffic: new LoadBalancerMetrics(cloudWatchIn),
    telemetry: new CloudWatchTelemetry(cloudWatchIn(lambdaRegion())),
    database: engineDatabases({
      rds: perRegion((region) => tracing.client(new RDSClient(clientConfig(region)))),
      eks: lazyEksAccess((Client, region) => tracing.client(new Client(clientConfig(region)))),
    }),
  },
});
