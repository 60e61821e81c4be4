import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { IncidentEvent, PagerPort } from '../ports/Estate.ts';

/** The `source` and `detail-type` of Lifeboat's incident events, as a team's rule matches them. */
export const INCIDENT_SOURCE = 'lifeboat';
export const INCIDENT_DETAIL_TYPE = 'Lifeboat Incident Update';

/**
 * Lifeboat's paging hook: each incident update is an event on the configured event bus in the run's
 * region (PutEvents), which a team routes to its pager with a rule (PagerDuty's and Opsgenie's
 * EventBridge integrations, or an API destination). PutEvents answers 200 with a failed entry
 * rather than an error when the bus refuses an event
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html): that is an
 * error here.
 *
 * The client comes from `client()` on the first page: the notify function loads the EventBridge
 * SDK then, not at every cold start (most of its invocations page nothing).
 */
export class EventBridgeIncidents implements PagerPort {
  readonly #client: () => Promise<EventBridgeClient>;
  readonly #eventBusName: string;

  constructor(client: () => Promise<EventBridgeClient>, eventBusName: string) {
    this.#client = client;
    this.#eventBusName = eventBusName;
  }

  async page(event: IncidentEvent): Promise<void> {
    const [client, { PutEventsCommand }] = await Promise.all([
      this.#client(),
      import('@aws-sdk/client-eventbridge'),
    ]);
    const output = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: INCIDENT_SOURCE,
            DetailType: INCIDENT_DETAIL_TYPE,
            EventBusName: this.#eventBusName,
            Detail: JSON.stringify(event),
          },
        ],
      }),
    );
    const failed = output.Entries?.find((e) => e.ErrorCode !== undefined);
    if ((output.FailedEntryCount ?? 0) > 0 || failed !== undefined) {
      throw new Error(
        `EventBridge refused the incident event on ${this.#eventBusName}: ${failed?.ErrorCode ?? 'failed'}: ${failed?.ErrorMessage ?? ''}`,
      );
    }
  }
}

/**
 * The paging hook of a function: an EventBridge client made (and wrapped, for tracing) on the first
 * page, with the SDK imported then.
 */
export function lazyIncidents(
  eventBusName: string,
  make: (Client: typeof EventBridgeClient) => EventBridgeClient,
): EventBridgeIncidents {
  let client: Promise<EventBridgeClient> | undefined;
  return new EventBridgeIncidents(
    () => (client ??= import('@aws-sdk/client-eventbridge').then((sdk) => make(sdk.EventBridgeClient))),
    eventBusName,
  );
}
