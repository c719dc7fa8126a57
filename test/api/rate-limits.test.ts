import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import {
  assertProblem,
  bearer,
  newKey,
  PREVIOUS_SIGNING_SECRET,
  sampleOrder,
  startApiHarness,
  submitOrder,
  testConfig,
  TOKENS,
  type ApiHarness,
} from './harness';

let h: ApiHarness;
before(async () => {
  h = await startApiHarness({
    config: { API_INTAKE_RATE_PER_MINUTE: '3', API_STEERING_RATE_PER_MINUTE: '2', API_READ_RATE_PER_MINUTE: '2' },
  });
});
after(async () => {
  await h?.stop();
});

/** A 429 that says when to come back, in the headers clients and proxies read. */
function assertLimited(res: request.Response): void {
  assertProblem(res, 429, 'rate-limited');
  const retryAfter = Number(res.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  assert.match(res.headers['ratelimit-policy'] ?? '', /q=\d+; w=60/);
}

describe('rate limits per credential', () => {
  test('intake: past the limit a signing secret gets 429 and starts nothing; another secret is counted apart', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await submitOrder(h.app, sampleOrder())).status, 202);
    const key = newKey();
    assertLimited(await submitOrder(h.app, sampleOrder(), { key }));
    await assert.rejects(h.env.client.workflow.getHandle(`order-${key}`).describe(), WorkflowNotFoundError);

    assert.equal((await submitOrder(h.app, sampleOrder(), { secret: PREVIOUS_SIGNING_SECRET })).status, 202);
    // A request that does not authenticate is refused for that, not counted against anyone.
    assertProblem(
      await submitOrder(h.app, sampleOrder(), { secret: 'unknown-secret-0123456789' }),
      401,
      'invalid-signature',
    );
  });

  test('steering and reads: counted per identity and apart from each other', async () => {
    const cancel = (token: string) =>
      request(h.app).post(`/orders/order-${newKey()}/cancel`).set(bearer(token)).send({ reason: 'customer asked' });
    const read = (token: string) => request(h.app).get(`/orders/order-${newKey()}`).set(bearer(token));

    for (let i = 0; i < 2; i++) assertProblem(await cancel(TOKENS.operator), 404, 'order-not-found');
    assertLimited(await cancel(TOKENS.operator));
    // The same operator may still read, and another identity may still steer.
    assertProblem(await read(TOKENS.operator), 404, 'order-not-found');
    const decide = await request(h.app)
      .post(`/orders/order-${newKey()}/approval`)
      .set(bearer(TOKENS.approver))
      .send({ decision: 'approve' });
    assertProblem(decide, 404, 'order-not-found');

    assertProblem(await read(TOKENS.viewer), 404, 'order-not-found');
    assertProblem(await read(TOKENS.viewer), 404, 'order-not-found');
    assertLimited(await read(TOKENS.viewer));
    assertLimited(await request(h.app).get('/orders').set(bearer(TOKENS.viewer)));
    // Refused by role before it counts: a viewer's steering attempt is 403, not 429.
    assertProblem(await cancel(TOKENS.viewer), 403, 'forbidden');
  });

  test('0 turns a limit off', async () => {
    const app = createApp({
      client: h.env.client,
      config: testConfig({ TEMPORAL_TASK_QUEUE: h.config.TEMPORAL_TASK_QUEUE, API_READ_RATE_PER_MINUTE: '0' }),
    });
    for (let i = 0; i < 5; i++) {
      const res = await request(app).get(`/orders/order-${newKey()}`).set(bearer(TOKENS.viewer));
      assertProblem(res, 404, 'order-not-found');
      assert.equal(res.headers['ratelimit-policy'], undefined);
    }
  });
});

describe('GET /metrics with API_METRICS_TOKEN', () => {
  test('needs the token when one is set, and only that token', async () => {
    const metricsToken = 'scraper-token-0123456789';
    const app = createApp({ client: h.env.client, config: testConfig({ API_METRICS_TOKEN: metricsToken }) });
    const missing = await request(app).get('/metrics');
    assertProblem(missing, 401, 'unauthenticated');
    assert.equal(missing.headers['www-authenticate'], 'Bearer realm="metrics"');
    assertProblem(await request(app).get('/metrics').set(bearer(TOKENS.operator)), 401, 'unauthenticated');
    const scraped = await request(app).get('/metrics').set(bearer(metricsToken));
    assert.equal(scraped.status, 200);
    assert.match(scraped.text, /# TYPE /);
    // Without the setting it stays open, for a scraper on a private interface.
    assert.equal((await request(h.app).get('/metrics')).status, 200);
  });
});
