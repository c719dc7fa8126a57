// Listing needs real visibility (list queries on custom search attributes): a local dev server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../src/api/app';
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
  assertSecurityHeaders,
} from './harness';

interface OrderPage {
  orders: {
    orderId: string;
    status: string | null;
    customerId: string | null;
    total: number | null;
    currency: string | null;
    workflowStatus: string;
  }[];
  nextCursor: string | null;
}

let h: ApiHarness;
const placed: Record<string, string[]> = { 'cust-list-a': [], 'cust-list-b': [] };
let awaitingApproval = '';

const list = (query: Record<string, string | number>) =>
  request(h.app).get('/orders').query(query).set(bearer(TOKENS.viewer));

before(async () => {
  h = await startApiHarness({ visibility: true });
  const place = async (customerId: string, unitPrice = 1_000) => {
    const res = await submitOrder(
      h.app,
      sampleOrder({
        customer: { id: customerId, email: 'list@example.com' },
        items: [{ sku: 'SKU-X', quantity: 1, unitPrice }],
      }),
      { key: newKey() },
    );
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const { orderId } = res.body as { orderId: string };
    placed[customerId]!.push(orderId);
    return orderId;
  };
  for (let i = 0; i < 4; i++) await place('cust-list-a');
  awaitingApproval = await place('cust-list-a', 500_000);
  await place('cust-list-b');
  // Visibility is eventually consistent: wait until every order shows its workflow-set status.
  for (let attempt = 0; attempt < 100; attempt++) {
    const res = await list({ customerId: 'cust-list-a', pageSize: 100 });
    const page = res.body as OrderPage;
    if (res.status === 200 && page.orders.length === 5 && page.orders.every((o) => o.status !== 'RECEIVED')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail('orders never became visible');
});
after(async () => {
  await h?.stop();
});

describe('GET /orders', () => {
  test('pages through one customer with an opaque cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list({ customerId: 'cust-list-a', pageSize: 2, ...(cursor ? { cursor } : {}) });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const page = res.body as OrderPage;
      assert.ok(page.orders.length <= 2);
      seen.push(...page.orders.map((o) => o.orderId));
      cursor = page.nextCursor;
      if (cursor) assert.match(cursor, /^[A-Za-z0-9_-]+$/);
      pages++;
    } while (cursor && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual([...seen].sort(), [...placed['cust-list-a']!].sort());
  });

  test('filters by status and customer, with search attribute values in the summary', async () => {
    const res = await list({ status: 'AWAITING_APPROVAL', customerId: 'cust-list-a' });
    assert.equal(res.status, 200);
    const page = res.body as OrderPage;
    assert.deepEqual(
      page.orders.map((o) => ({
        id: o.orderId,
        status: o.status,
        customer: o.customerId,
        total: o.total,
        currency: o.currency,
        run: o.workflowStatus,
      })),
      [
        {
          id: awaitingApproval,
          status: 'AWAITING_APPROVAL',
          customer: 'cust-list-a',
          total: 500_000,
          currency: 'EUR',
          run: 'RUNNING',
        },
      ],
    );
    assert.equal(page.nextCursor, null);
    const byStatus = (await list({ status: 'INVENTORY_LOCKED', pageSize: 100 })).body as OrderPage;
    assert.deepEqual(
      byStatus.orders.map((o) => o.orderId).sort(),
      [...placed['cust-list-a']!.filter((id) => id !== awaitingApproval), ...placed['cust-list-b']!].sort(),
    );
  });

  test('a cursor is bound to its filters', async () => {
    const first = (await list({ customerId: 'cust-list-a', pageSize: 2 })).body as OrderPage;
    assert.ok(first.nextCursor);
    assertProblem(
      await list({ customerId: 'cust-list-b', pageSize: 2, cursor: first.nextCursor }),
      400,
      'invalid-request',
    );
    assertProblem(await list({ cursor: 'bm90LWEtY3Vyc29y' }), 400, 'invalid-request');
  });

  test('invalid query parameters are 400 with field errors; values cannot inject query syntax', async () => {
    const cases: [Record<string, string | number>, string][] = [
      [{ status: 'SHIPPED' }, 'status'],
      [{ pageSize: 0 }, 'pageSize'],
      [{ pageSize: 1000 }, 'pageSize'],
      [{ customerId: "x' OR WorkflowType != 'y" }, 'customerId'],
      [{ colour: 'blue' }, '(query)'],
    ];
    for (const [query, field] of cases) {
      const problem = assertProblem(await list(query), 400, 'invalid-request');
      const fields = (problem.errors as { field: string }[]).map((e) => e.field);
      assert.deepEqual(fields, [field], JSON.stringify(query));
    }
    const repeated = await request(h.app).get('/orders?status=COMPLETED&status=CANCELLED').set(bearer(TOKENS.viewer));
    assertProblem(repeated, 400, 'invalid-request');
  });

  test('needs a token', async () => {
    assertProblem(await request(h.app).get('/orders'), 401, 'unauthenticated');
  });

  test('a page holds personal data: Cache-Control no-store, and the security headers', async () => {
    const res = await list({ customerId: 'cust-list-a', pageSize: 2 });
    assert.equal(res.status, 200);
    assertNotCacheable(res);
    assertSecurityHeaders(res.headers);
  });
});

describe('GET /readyz on a real server', () => {
  test('answers 503 when the namespace does not exist', async () => {
    const app = createApp({
      client: new Client({ connection: h.env.connection, namespace: 'no-such-namespace' }),
      config: h.config,
    });
    const res = await request(app).get('/readyz');
    const problem = assertProblem(res, 503, 'not-ready');
    assert.match(String(problem.detail), /no-such-namespace/);
    assert.equal(res.headers['retry-after'], '5');
  });
});
