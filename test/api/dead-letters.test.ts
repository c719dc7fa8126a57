// Parked orders are found by search attribute: a local dev server with real visibility.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import request from 'supertest';
import { drainDeadLetters, type DeadLetterGateway } from '../../src/api/dead-letters';
import type { DrainReport } from '../../src/api/schemas';
import type { RetryRequest } from '../../src/workflows/definitions';
import {
  type ApiHarness,
  bearer,
  newKey,
  sampleOrder,
  startApiHarness,
  submitOrder,
  TOKENS,
  assertNotCacheable,
  assertProblem,
} from './harness';

let h: ApiHarness;
before(async () => {
  h = await startApiHarness({ visibility: true });
});
after(async () => {
  await h?.stop();
});

const drain = (token?: string, body: object = {}) => {
  const req = request(h.app).post('/admin/dead-letters/drain');
  return (token ? req.set(bearer(token)) : req).send(body);
};
const listParked = () =>
  request(h.app).get('/orders').query({ status: 'NEEDS_ATTENTION', pageSize: 100 }).set(bearer(TOKENS.operator));

async function placeParkedOrder(): Promise<string> {
  // The API's stand-in workflow parks orders of this customer in NEEDS_ATTENTION.
  const res = await submitOrder(h.app, sampleOrder({ customer: { id: 'cust-parked', email: 'ops@example.com' } }), {
    key: newKey(),
  });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return (res.body as { orderId: string }).orderId;
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('never became true');
}

describe('POST /admin/dead-letters/drain', () => {
  test('without a token is 401; a viewer or an approver is 403', async () => {
    assertProblem(await drain(), 401, 'unauthenticated');
    assertProblem(await drain(TOKENS.viewer), 403, 'forbidden');
    assertProblem(await drain(TOKENS.approver), 403, 'forbidden');
    assertProblem(await drain(TOKENS.operator, { limit: 0 }), 422, 'validation-failed');
  });

  test('nothing parked: an empty report', async () => {
    const res = await drain(TOKENS.operator);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { found: 0, retried: 0, refused: 0, failed: 0, orders: [] });
  });

  test('parked orders are listed by status, and a drain retries each of them', async () => {
    const parked = [await placeParkedOrder(), await placeParkedOrder()];
    const other = await submitOrder(h.app, sampleOrder(), { key: newKey() });
    assert.equal(other.status, 202);
    await eventually(async () => {
      const ids = ((await listParked()).body as { orders: { orderId: string }[] }).orders.map((o) => o.orderId);
      return parked.every((id) => ids.includes(id));
    });
    const listed = (await listParked()).body as { orders: { orderId: string; status: string }[] };
    assert.deepEqual(listed.orders.map((o) => o.orderId).sort(), [...parked].sort(), 'only the parked orders');
    assert.ok(listed.orders.every((o) => o.status === 'NEEDS_ATTENTION'));

    const res = await drain(TOKENS.operator, { reason: 'payments are back' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertNotCacheable(res);
    const report = res.body as DrainReport;
    assert.deepEqual([report.found, report.retried, report.refused, report.failed], [2, 2, 0, 0]);
    assert.deepEqual(
      report.orders.map((o) => [o.orderId, o.outcome]).sort(),
      parked.map((id) => [id, 'retried']).sort(),
    );
    for (const orderId of parked) {
      const state = (await request(h.app).get(`/orders/${orderId}`).set(bearer(TOKENS.viewer))).body as {
        status: string;
        transitions: { reason: string }[];
      };
      assert.equal(state.status, 'COMPLETED');
      assert.equal(state.transitions.at(-1)?.reason, 'retried by ops-bob', 'the operator is the token identity');
    }
    await eventually(async () => ((await listParked()).body as { orders: unknown[] }).orders.length === 0);
  });
});

describe('drainDeadLetters', () => {
  const page = (ids: string[]) =>
    ({ orders: ids.map((orderId) => ({ orderId })), nextPageToken: null }) as unknown as Awaited<
      ReturnType<DeadLetterGateway['listOrders']>
    >;

  test('reports each order: retried, refused by the order, refused because closed, or failed to ask', async () => {
    const sent: [string, RetryRequest][] = [];
    const gateway: DeadLetterGateway = {
      listOrders: () => Promise.resolve(page(['order-aaaaaaaa', 'order-bbbbbbbb', 'order-cccccccc', 'order-dddddddd'])),
      retryParkedOrder: (orderId, req) => {
        sent.push([orderId, req]);
        if (orderId === 'order-bbbbbbbb')
          return Promise.reject(
            new WorkflowUpdateFailedError(
              'update failed',
              new Error('order order-bbbbbbbb is not parked (status COMPLETED)'),
            ),
          );
        if (orderId === 'order-cccccccc')
          return Promise.reject(new WorkflowNotFoundError('not found', orderId, undefined));
        if (orderId === 'order-dddddddd') return Promise.reject(new Error('deadline exceeded'));
        return Promise.resolve();
      },
    };
    const report = await drainDeadLetters(gateway, { operator: 'ops', reason: 'drain' }, 100);
    assert.deepEqual(
      report.orders.map((o) => [o.orderId, o.outcome, o.detail]),
      [
        ['order-aaaaaaaa', 'retried', undefined],
        ['order-bbbbbbbb', 'refused', 'order order-bbbbbbbb is not parked (status COMPLETED)'],
        ['order-cccccccc', 'refused', 'the order is closed'],
        ['order-dddddddd', 'failed', 'deadline exceeded'],
      ],
    );
    assert.deepEqual([report.found, report.retried, report.refused, report.failed], [4, 1, 2, 1]);
    assert.ok(sent.every(([, req]) => req.operator === 'ops' && req.reason === 'drain'));
  });

  test('pages through the listing up to the limit', async () => {
    const pages = [
      ['order-11111111', 'order-22222222'],
      ['order-33333333', 'order-44444444'],
    ];
    let calls = 0;
    const gateway: DeadLetterGateway = {
      listOrders: () =>
        Promise.resolve({ ...page(pages[calls]!), nextPageToken: calls++ === 0 ? Buffer.from('next') : null }),
      retryParkedOrder: () => Promise.resolve(),
    };
    const report = await drainDeadLetters(gateway, { operator: 'ops' }, 3);
    assert.deepEqual(
      report.orders.map((o) => o.orderId),
      ['order-11111111', 'order-22222222', 'order-33333333'],
    );
  });
});
