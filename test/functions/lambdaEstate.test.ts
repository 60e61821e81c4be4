import { jest } from '@jest/globals';
import { ThrottlingException } from '@aws-sdk/client-route-53';
import {
  ExecutionAlreadyExists,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { ApplicationConfig } from '../../shared/config/LifeboatConfig.ts';
import { bundledConfigText } from '../../shared/config/bundledConfig.ts';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import type { Estate } from '../../shared/ports/Estate.ts';
import {
  classified,
  clientConfig,
  lambdaConfig,
  lambdaEstate,
  LogNotifier,
  perRegion,
  requireEnv,
  StepFunctionsStarter,
  noLedger,
} from '../../shared/runtime/lambdaEstate.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';

const APP = parseConfig(exampleConfigDocument()).applications[0] as ApplicationConfig;
const FAILOVER_ARN = 'arn:aws:states:us-west-2:123456789012:stateMachine:lifeboat-failover';

const sfn = mockClient(SFNClient);

beforeEach(() => {
  sfn.reset();
});

describe('lambdaConfig', () => {
  const saved = process.env.LIFEBOAT_CONFIG;
  afterAll(() => {
    process.env.LIFEBOAT_CONFIG = saved;
  });

  // In order: the config is read once per container, so the failures come before the success.
  it('throws a ConfigError when the function was bundled without a config', () => {
    delete process.env.LIFEBOAT_CONFIG;
    expect(() => lambdaConfig()).toThrow(
      'Invalid Lifeboat config LIFEBOAT_CONFIG:\n  - not set: the function was bundled without its config',
    );
  });

  it('throws a ConfigError when the bundled config is not JSON', () => {
    process.env.LIFEBOAT_CONFIG = '{"version": 1,';
    expect(() => lambdaConfig()).toThrow(/LIFEBOAT_CONFIG:\n {2}- not valid JSON/);
  });

  it('refuses a config that was not validated at synth, saying how to deploy the function', () => {
    process.env.LIFEBOAT_CONFIG = JSON.stringify(exampleConfigDocument());
    expect(() => lambdaConfig()).toThrow(
      /LIFEBOAT_CONFIG:\n {2}- not a config validated at synth \(expected \{"format": "lifeboat-validated-config\/1", "config": \{\.\.\.\}\}\); deploy the function with LifeboatFunction/,
    );
  });

  it('parses the bundled config once and reuses it while the text stays the same', () => {
    const text = bundledConfigText(parseConfig(exampleConfigDocument()));
    process.env.LIFEBOAT_CONFIG = text;
    const first = lambdaConfig();
    process.env.LIFEBOAT_CONFIG = text.slice();

    expect(lambdaConfig()).toBe(first);
    expect(first.applications.map((a) => a.name)).toEqual(['ai-gateway', 'ai-gateway-drill']);
  });

  it("reads another container's config when the text differs (several containers in one process)", () => {
    const doc = exampleConfigDocument();
    process.env.LIFEBOAT_CONFIG = bundledConfigText(parseConfig(doc));
    const first = lambdaConfig();
    doc.ledger = { tableName: 'another-ledger' };
    process.env.LIFEBOAT_CONFIG = bundledConfigText(parseConfig(doc));

    expect(lambdaConfig()).not.toBe(first);
    expect(lambdaConfig().ledger.tableName).toBe('another-ledger');
  });
});

describe('requireEnv', () => {
  it('returns the value when the stack set it', () => {
    process.env.LIFEBOAT_TEST_VARIABLE = 'x';
    expect(requireEnv('LIFEBOAT_TEST_VARIABLE')).toBe('x');
    delete process.env.LIFEBOAT_TEST_VARIABLE;
  });

  it('throws naming the variable when it is not set', () => {
    expect(() => requireEnv('LIFEBOAT_TEST_VARIABLE')).toThrow(
      'LIFEBOAT_TEST_VARIABLE: not set; the stack sets it on the function',
    );
  });
});

describe('clientConfig', () => {
  it('gives every client connection and request deadlines, and the region when named', () => {
    expect(clientConfig('eu-west-1')).toEqual({
      region: 'eu-west-1',
      requestHandler: { connectionTimeout: 3000, requestTimeout: 10000 },
    });
    expect(clientConfig()).toEqual({ requestHandler: { connectionTimeout: 3000, requestTimeout: 10000 } });
  });
});

describe('perRegion', () => {
  it('creates one client per region and reuses it when the region is asked for again', () => {
    const create = jest.fn((region: string) => ({ region }));
    const clientIn = perRegion(create);

    const east = clientIn('us-east-1');
    expect(clientIn('us-east-1')).toBe(east);
    expect(clientIn('us-west-2')).toEqual({ region: 'us-west-2' });
    expect(create.mock.calls.map(([region]) => region)).toEqual(['us-east-1', 'us-west-2']);
  });
});

describe('lambdaEstate', () => {
  it('hands out the ports it was given', () => {
    const notifier = new LogNotifier({ info: () => undefined });
    expect(lambdaEstate('lifeboat-notify', { notifier }).notifier).toBe(notifier);
  });

  it('refuses every call to a port it was not given with a PermanentServiceError naming it', async () => {
    const estate: Estate = lambdaEstate('lifeboat-notify', {});

    const thrown = await estate.dns.getWeights(APP).catch((e: unknown) => e);

    expect(thrown).toHaveProperty('name', 'PermanentServiceError');
    expect(thrown).toHaveProperty(
      'message',
      'lifeboat-notify has no dns port: getWeights was called, but its steps do not use it and its role does not allow it',
    );
  });

  it('can be awaited without calling a missing port, which is the same object each time', async () => {
    const estate = lambdaEstate('lifeboat-notify', {});
    const database = estate.database;
    expect(await Promise.resolve(database)).toBe(database);
    expect(estate.database).toBe(database);
  });
});

describe('noLedger', () => {
  it('refuses each call with the name of the function that has no ledger', async () => {
    const ledger = noLedger('lifeboat-traffic');
    await expect(ledger.listRuns('ai-gateway', 'failover', 1)).rejects.toThrow(
      'lifeboat-traffic has no ledger: listRuns was called, but its steps do not use it and its role does not allow it',
    );
  });
});

describe('classified', () => {
  it('passes the result through when the operation succeeds', async () => {
    await expect(classified((n: number) => Promise.resolve(n + 1))(1)).resolves.toBe(2);
  });

  it('rethrows an SDK throttling error as ThrottledError, keeping the cause', async () => {
    const error = new ThrottlingException({ $metadata: {}, message: 'Rate exceeded' });
    const thrown = await classified(() => Promise.reject(error))(undefined).catch((e: unknown) => e);

    expect(thrown).toHaveProperty('name', 'ThrottledError');
    expect(thrown).toHaveProperty('cause', error);
  });

  it('rethrows an access denial as PermanentServiceError so the workflow does not retry it', async () => {
    const error = Object.assign(new Error('not authorized'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(classified(() => Promise.reject(error))(undefined)).rejects.toHaveProperty(
      'name',
      'PermanentServiceError',
    );
  });
});

describe('LogNotifier', () => {
  it('logs a notification line with its text and returns the id it gave the line', async () => {
    const info = jest.fn();
    const id = await new LogNotifier({ info }).post('failed over', [{ type: 'section' }]);

    expect(info).toHaveBeenCalledWith('notification', {
      notificationId: id,
      text: 'failed over',
      blocks: [{ type: 'section' }],
    });
  });

  it('logs an update as a notification line that names the one it updates', async () => {
    const info = jest.fn();
    await new LogNotifier({ info }).update('n-1', 'approved');

    expect(info).toHaveBeenCalledWith('notification', {
      notificationId: 'n-1',
      updates: 'n-1',
      text: 'approved',
    });
  });

  it('gives each notification its own id', async () => {
    const notifier = new LogNotifier({ info: () => undefined });
    expect(await notifier.post('a')).not.toBe(await notifier.post('a'));
  });
});

describe('StepFunctionsStarter', () => {
  const client = new SFNClient({});
  const starter = () =>
    new StepFunctionsStarter((input) => client.send(new StartExecutionCommand(input)), {
      failover: FAILOVER_ARN,
    });

  it('starts an execution of the named workflow with the name and the input as JSON', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: `${FAILOVER_ARN}:auto-1`, startDate: new Date(0) });

    await expect(starter().start('failover', 'auto-1', { application: 'ai-gateway' })).resolves.toBe(
      'started',
    );
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({
      stateMachineArn: FAILOVER_ARN,
      name: 'auto-1',
      input: '{"application":"ai-gateway"}',
    });
  });

  it('answers already-started when an execution of that name exists', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ $metadata: {}, message: 'exists' }));

    await expect(starter().start('failover', 'auto-1', {})).resolves.toBe('already-started');
  });

  it('propagates any other error unchanged', async () => {
    const error = new SFNServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: {},
      message: 'Rate exceeded',
    });
    sfn.on(StartExecutionCommand).rejects(error);

    await expect(starter().start('failover', 'auto-1', {})).rejects.toBe(error);
  });
});
