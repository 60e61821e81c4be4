import { fileURLToPath } from 'node:url';
import type { DeployedFunction } from '../../local/twin/Deployment.ts';
import { createContainer, installSandbox, invoke } from '../../local/twin/LambdaSandbox.ts';

const ENTRY = fileURLToPath(new URL('../fixtures/twin/handler.ts', import.meta.url));
const VIRTUAL = Date.UTC(2030, 0, 1, 0, 5, 0);

function fn(region: string): DeployedFunction {
  return {
    name: 'lifeboat-test',
    region,
    arn: `arn:aws:lambda:${region}:000000000000:function:lifeboat-test`,
    entry: ENTRY,
    exportName: 'handler',
    environment: {},
    timeoutSeconds: 30,
    memorySize: 256,
    roleArn: 'arn:aws:iam::000000000000:role/test',
    policies: [],
  };
}

const owner = { now: () => VIRTUAL };
const options = { now: () => VIRTUAL, deadline: VIRTUAL + 30_000 };

describe('LambdaSandbox', () => {
  beforeAll(() => {
    installSandbox();
  });

  it('gives each container its own module instance, environment and clock', async () => {
    const west = createContainer(fn('us-west-2'), { AWS_REGION: 'us-west-2', ONLY_HERE: 'west' }, owner);
    const east = createContainer(fn('us-east-1'), { AWS_REGION: 'us-east-1' }, owner);
    const a = (await invoke(west, {}, options)).result as Record<string, unknown>;
    const b = (await invoke(east, {}, options)).result as Record<string, unknown>;
    const a2 = (await invoke(west, {}, options)).result as Record<string, unknown>;
    expect(a).toMatchObject({
      importedRegion: 'us-west-2',
      region: 'us-west-2',
      secret: 'west',
      invocations: 1,
    });
    expect(b).toMatchObject({ importedRegion: 'us-east-1', region: 'us-east-1', invocations: 1 });
    expect(b.secret).toBeUndefined();
    expect(a2.invocations).toBe(2);
    expect(a.now).toBe(new Date(VIRTUAL).toISOString());
    expect(a).toMatchObject({ functionName: 'lifeboat-test', remaining: 30_000 });
  });

  it('keeps the host environment and clock outside containers', async () => {
    const container = createContainer(fn('eu-west-1'), { AWS_REGION: 'eu-west-1' }, owner);
    await invoke(container, {}, options);
    expect(process.env.ONLY_HERE).toBeUndefined();
    expect(process.env.AWS_REGION).not.toBe('eu-west-1');
    expect(Math.abs(Date.now() - new Date().getTime())).toBeLessThan(60_000);
    expect(new Date().getUTCFullYear()).toBeLessThan(2030);
  });

  it("writes a function's log lines to its container and invocation, not the terminal", async () => {
    const container = createContainer(fn('us-west-2'), { AWS_REGION: 'us-west-2' }, owner);
    const { invocation } = await invoke(container, { log: 'hello from the function' }, options);
    expect(invocation.log).toEqual([JSON.stringify({ message: 'hello from the function' })]);
    expect(container.log).toEqual(invocation.log);
  });

  it('passes a copy of the event and keeps the name of a thrown error', async () => {
    const container = createContainer(fn('us-west-2'), { AWS_REGION: 'us-west-2' }, owner);
    await expect(invoke(container, { fail: 'ThrottledError' }, options)).rejects.toMatchObject({
      name: 'ThrottledError',
      message: 'it failed',
    });
  });
});
