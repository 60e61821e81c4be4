import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpProbe } from '../../shared/aws/HttpProbe.ts';
import { parseConfig } from '../../shared/config/loadConfig.ts';
import { exampleConfigDocument } from '../support/exampleConfig.ts';

describe('HttpProbe', () => {
  let server: Server;
  let port: number;
  let status = 200;
  let delayMs = 0;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
      setTimeout(() => {
        res.writeHead(status).end('ok');
      }, delayMs);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const app = () => {
    const doc = exampleConfigDocument() as { applications: { healthChecks: Record<string, unknown> }[] };
    doc.applications[0]!.healthChecks['us-west-2'] = {
      endpoint: 'localhost.localdomain',
      path: '/health/liveliness',
      port,
      https: false,
    };
    return parseConfig(doc).applications[0]!;
  };

  it('builds the URL the Route 53 health check probes', () => {
    const config = parseConfig(exampleConfigDocument());
    expect(HttpProbe.urlOf(config.applications[0]!, 'us-east-1')).toBe(
      'http://use1.gateway.example.com/health/liveliness',
    );
    expect(HttpProbe.urlOf(app(), 'us-west-2')).toBe(
      `http://localhost.localdomain:${port}/health/liveliness`,
    );
  });

  const probeLoopback = (timeoutMs = 2000) =>
    new HttpProbe({
      timeoutMs,
      // Resolve the example's name to loopback: tests reach nothing else.
      fetch: (url, init) =>
        globalThis.fetch((url as string).replace('localhost.localdomain', '127.0.0.1'), init),
    });

  it('is healthy on a 2xx and unhealthy on a 5xx', async () => {
    status = 200;
    expect(await probeLoopback().probe(app(), 'us-west-2')).toBe('healthy');
    status = 503;
    expect(await probeLoopback().probe(app(), 'us-west-2')).toBe('unhealthy');
    expect(seen.at(-1)).toBe('GET /health/liveliness');
  });

  it('is unhealthy when the endpoint does not answer in time', async () => {
    status = 200;
    delayMs = 500;
    expect(await probeLoopback(100).probe(app(), 'us-west-2')).toBe('unhealthy');
    delayMs = 0;
  });

  it('refuses to guess for a health check Lifeboat did not define', async () => {
    const doc = exampleConfigDocument() as { applications: { healthChecks: Record<string, unknown> }[] };
    doc.applications[0]!.healthChecks['us-west-2'] = {
      existingHealthCheckId: '0b7e7a4e-3c2b-4a47-9a1e-1f2d3c4b5a69',
    };
    await expect(new HttpProbe().probe(parseConfig(doc).applications[0]!, 'us-west-2')).rejects.toThrow(
      'uses an existing health check',
    );
  });
});
