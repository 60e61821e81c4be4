import { randomUUID } from 'node:crypto';
import { text, type ServiceOperations } from './ServiceTwin.ts';

/** An event bus name or ARN, as PutEvents takes it. */
const BUS_ARN = /^arn:[a-z-]+:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/;

/**
 * EventBridge's PutEvents over the simulated world: Lifeboat's incident events (its paging hook) on
 * an event bus the rehearsal's deployment has (the default bus of every region, and the bus the
 * config names). Each accepted entry is in the world's timeline, where a team's rule would pick it
 * up; an entry on a bus that does not exist is a failed entry, as EventBridge answers it
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html).
 */
export function eventBridgeOperations(buses: (region: string) => ReadonlySet<string>): ServiceOperations {
  return {
    PutEvents: (input, context) => {
      context.world.faults.check('events', 'PutEvents', context.region);
      const entries = (input.Entries ?? []) as readonly Record<string, unknown>[];
      let failed = 0;
      const out = entries.map((entry) => {
        const named =
          typeof entry.EventBusName === 'string' && entry.EventBusName !== ''
            ? entry.EventBusName
            : 'default';
        const arn = BUS_ARN.exec(named);
        const bus = arn === null ? named : (arn[3] ?? '');
        const sameRegion = arn === null || (arn[1] === context.region && arn[2] === context.account);
        if (!sameRegion || !buses(context.region).has(bus)) {
          failed++;
          return { ErrorCode: 'NotFoundException', ErrorMessage: `Event bus ${named} does not exist.` };
        }
        let detail: Record<string, unknown>;
        try {
          detail = JSON.parse(text(entry.Detail) || '{}') as Record<string, unknown>;
        } catch {
          failed++;
          return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
        }
        context.world.recordPage(context.region, bus, text(entry.DetailType), detail);
        return { EventId: randomUUID() };
      });
      // (An empty Entries never gets here: AWS's API model asks for one to ten.)
      return { FailedEntryCount: failed, Entries: out };
    },
  };
}
