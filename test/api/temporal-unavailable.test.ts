import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { bearer, newKey, sampleOrder, submitOrder, testConfig, TOKENS, assertProblem } from './harness';

/** A loopback port nothing listens on: bound, then released. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const config = testConfig({ API_TEMPORAL_TIMEOUT_MS: '800', API_READINESS_TIMEOUT_MS: '800' });
let deadConnection: Connection;
let app: Express;
before(async () => {
  deadConnection = Connection.lazy({ address: `127.0.0.1:${await deadPort()}` });
  app = createApp({ client: new Client({ connection: deadConnection }), config });
});
after(async () => {
  await deadConnection?.close();
});

function assertUnavailable(res: request.Response): void {
  const problem = assertProblem(res, 503, 'temporal-unavailable');
  assert.equal(res.headers['retry-after'], '5');
  assert.ok(!/grpc|UNAVAILABLE|DEADLINE|127\.0\.0\.1/i.test(String(problem.detail)), 'no internal message leaks');
}

describe('Temporal unreachable', () => {
  test('POST /orders answers 503 with Retry-After', async () => {
    assertUnavailable(await submitOrder(app, sampleOrder()));
  });

  test('GET /orders/:id and GET /orders answer 503', async () => {
    assertUnavailable(await request(app).get(`/orders/order-${newKey()}`).set(bearer(TOKENS.viewer)));
    assertUnavailable(await request(app).get('/orders').set(bearer(TOKENS.viewer)));
  });

  test('approval and cancel answer 503', async () => {
    assertUnavailable(
      await request(app)
        .post(`/orders/order-${newKey()}/approval`)
        .set(bearer(TOKENS.approver))
        .send({ decision: 'approve' }),
    );
    assertUnavailable(
      await request(app)
        .post(`/orders/order-${newKey()}/cancel`)
        .set(bearer(TOKENS.operator))
        .send({ reason: 'changed mind' }),
    );
  });

  test('/readyz answers 503 while /healthz stays 200', async () => {
    const res = await request(app).get('/readyz');
    assertProblem(res, 503, 'not-ready');
    assert.equal(res.headers['retry-after'], '5');
    assert.equal((await request(app).get('/healthz')).status, 200);
  });

  test('a client whose connection was closed answers 503', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await deadPort()}` });
    await connection.close();
    const closedApp = createApp({ client: new Client({ connection }), config });
    assertUnavailable(await submitOrder(closedApp, sampleOrder()));
  });
});
