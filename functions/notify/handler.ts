import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { LogNotifier } from '../../shared/runtime/lambdaEstate.ts';
import { failoverHandler } from '../../shared/runtime/failoverHandler.ts';

const FUNCTION = 'lifeboat-notify';
const logger = new Logger();
const tracer = new Tracer();

/** Notify: the run's outcome to the team (for now a structured log line; see LogNotifier). */
export const handler = failoverHandler(FUNCTION, {
  logger,
  tracer,
  ports: { notifier: new LogNotifier(logger) },
});
