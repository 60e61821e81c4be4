import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  EventBridgeIncidents,
  INCIDENT_DETAIL_TYPE,
  INCIDENT_SOURCE,
  lazyIncidents,
} from '../../shared/aws/EventBridgeIncidents.ts';
import type { IncidentEvent } from '../../shared/ports/Estate.ts';

const eventBridge = mockClient(EventBridgeClient);
const pager = new EventBridgeIncidents(
  () => Promise.resolve(new EventBridgeClient({ region: 'us-west-2' })),
  'oncall',
);

const EVENT: IncidentEvent = {
  application: 'ai-gateway',
  workflow: 'failover',
  execution: 'auto-ai-gateway-us-east-1-20300101T000126Z',
  phase: 'started',
  severity: 'critical',
  sourceRegion: 'us-east-1',
  targetRegion: 'us-west-2',
  region: 'us-west-2',
  summary: 'Lifeboat is failing ai-gateway over from us-east-1 to us-west-2',
  dedupKey: 'lifeboat:failover:auto-ai-gateway-us-east-1-20300101T000126Z',
  at: '2030-01-01T00:01:30.000Z',
};

beforeEach(() => {
  eventBridge.reset();
});

describe('EventBridgeIncidents', () => {
  it('puts one event on the configured bus, with the incident as its detail', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    await pager.page(EVENT);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          Source: INCIDENT_SOURCE,
          DetailType: INCIDENT_DETAIL_TYPE,
          EventBusName: 'oncall',
          Detail: JSON.stringify(EVENT),
        },
      ],
    });
    expect(INCIDENT_SOURCE).toBe('lifeboat');
    expect(INCIDENT_DETAIL_TYPE).toBe('Lifeboat Incident Update');
  });

  it('fails when EventBridge answers 200 with a failed entry (the bus refused it)', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'NotFoundException', ErrorMessage: 'Event bus oncall does not exist.' }],
    });
    await expect(pager.page(EVENT)).rejects.toThrow(
      'EventBridge refused the incident event on oncall: NotFoundException: Event bus oncall does not exist.',
    );
  });

  it('makes its client on the first page only, and keeps it', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const made: string[] = [];
    const lazy = lazyIncidents('default', (Client) => {
      made.push('client');
      return new Client({ region: 'eu-west-1' });
    });
    expect(made).toEqual([]);
    await lazy.page(EVENT);
    await lazy.page({ ...EVENT, phase: 'restored', severity: 'warning' });
    expect(made).toEqual(['client']);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 2);
  });

  it('lets an SDK error through unchanged', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    eventBridge.on(PutEventsCommand).rejects(throttled);
    await expect(pager.page(EVENT)).rejects.toHaveProperty('name', 'ThrottlingException');
  });
});
