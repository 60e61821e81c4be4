import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import middy from '@middy/core';
import { HttpProbe } from '../../shared/aws/HttpProbe.ts';
import {
  PROBE_NAMESPACE,
  probeMetricData,
  probeMinute,
  probeTargets,
  type ProbeMinuteOutcome,
} from '../../shared/detection/probeRound.ts';
import {
  classified,
  clientConfig,
  lambdaConfig,
  lambdaRegion,
  systemClock,
} from '../../shared/runtime/lambdaEstate.ts';
import { functionTracing } from '../../shared/runtime/tracing.ts';

const logger = new Logger();
const tracing = await functionTracing();
const config = lambdaConfig();
const region = lambdaRegion();
const cloudWatch = tracing.client(new CloudWatchClient(clientConfig()));
const probe = new HttpProbe();

// A region guarded by an existing health check has no endpoint Lifeboat knows: it is not probed.
const all = probeTargets(config, region);
const targets = all.filter((t) => HttpProbe.urlOf(t.app, t.region) !== undefined);
const unprobed = all.filter((t) => !targets.includes(t)).map((t) => `${t.app.name}/${t.region}`);

async function probeOneMinute(): Promise<ProbeMinuteOutcome> {
  if (unprobed.length > 0) logger.warn('no endpoint to probe', { unprobed });
  const outcome = await probeMinute(targets, {
    probe,
    clock: systemClock,
    publish: async (results) => {
      await cloudWatch.send(
        new PutMetricDataCommand({
          Namespace: PROBE_NAMESPACE,
          MetricData: probeMetricData(results, systemClock.now()),
        }),
      );
    },
    onError: (what, error) => {
      logger.error(`could not ${what}`, error as Error);
    },
  });
  logger.info('probe minute', { outcome });
  return outcome;
}

/** Once a minute: probes the other regions of this region's applications, publishing ProbeSuccess. */
export const handler = middy(classified(probeOneMinute))
  .use(injectLambdaContext(logger))
  .use(tracing.middlewares);
