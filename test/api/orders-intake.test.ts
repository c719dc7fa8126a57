import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getOrderStateQuery } from '../../src/workflows/definitions';
import { createHmac } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { signRequest } from '../../src/api/signing';
import {
  type ApiHarness,
  newKey,
  PREVIOUS_SIGNING_SECRET,
  sampleOrder,
  SIGNING_SECRET,
  startApiHarness,
  submitOrder,
  assertProblem,
} from './harness';

interface Accepted {
  orderId: string;
  status: string;
  location: string;
  requestId: string;
}

let h: ApiHarness;
before(async () => {
  h = await startApiHarness({ config: { API_BODY_LIMIT_BYTES: '4096' } });
});
after(async () => {
  await h?.stop();
});

describe('POST /orders', () => {
  test('starts the order workflow: 202, Location, order id and status, request id in input and memo', async () => {
    const key = newKey();
    const res = await submitOrder(h.app, sampleOrder(), { key, requestId: 'req-intake-0001' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const orderId = `order-${key}`;
    assert.equal(res.headers.location, `/orders/${orderId}`);
    assert.equal(res.headers['x-request-id'], 'req-intake-0001');
    assert.deepEqual(res.body, {
      orderId,
      status: 'RECEIVED',
      location: `/orders/${orderId}`,
      requestId: 'req-intake-0001',
    });

    const handle = h.env.client.workflow.getHandle(orderId);
    const described = await handle.describe();
    assert.equal(described.type, 'orderFulfillment');
    assert.equal(described.memo?.requestId, 'req-intake-0001');
    assert.match(String(described.memo?.requestFingerprint), /^sha256:[0-9a-f]{64}$/);
    const state = await handle.query(getOrderStateQuery);
    assert.equal(state.order.requestId, 'req-intake-0001');
    assert.equal(state.order.total, 2 * 1_250 + 4_900);
    assert.deepEqual(state.order.policy.approvers, ['alice']);
    assert.equal(state.order.policy.approvalThreshold, 100_000);
  });

  test('the same key and body again returns the existing order (200) and starts nothing', async () => {
    const key = newKey();
    const first = await submitOrder(h.app, sampleOrder(), { key });
    assert.equal(first.status, 202);
    const runId = (await h.env.client.workflow.getHandle(`order-${key}`).describe()).runId;
    // Same order, different key order and whitespace: still the same request.
    const o = sampleOrder();
    const reordered = JSON.stringify(
      {
        shippingAddress: o.shippingAddress,
        currency: o.currency,
        items: o.items,
        customer: { name: o.customer.name, email: o.customer.email, id: o.customer.id },
      },
      null,
      2,
    );
    const again = await submitOrder(h.app, reordered, { key });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.headers.location, `/orders/order-${key}`);
    const replayed = again.body as Accepted;
    assert.equal(replayed.orderId, `order-${key}`);
    assert.equal(
      replayed.requestId,
      (first.body as Accepted).requestId,
      'the replay points at the request that created the order',
    );
    assert.equal((await h.env.client.workflow.getHandle(`order-${key}`).describe()).runId, runId);
  });

  test('the same key with a different body is 422', async () => {
    const key = newKey();
    assert.equal((await submitOrder(h.app, sampleOrder(), { key })).status, 202);
    const res = await submitOrder(h.app, sampleOrder({ currency: 'USD' }), { key });
    const problem = assertProblem(res, 422, 'idempotency-key-reused');
    assert.equal(problem.instance, '/orders');
  });

  test('20 identical concurrent requests start exactly one workflow', async () => {
    const key = newKey();
    const responses = await Promise.all(Array.from({ length: 20 }, () => submitOrder(h.app, sampleOrder(), { key })));
    const count = (status: number) => responses.filter((r) => r.status === status).length;
    assert.equal(count(202), 1, JSON.stringify(responses.map((r) => [r.status, r.body as unknown])));
    assert.equal(count(200), 19);
    assert.equal(new Set(responses.map((r) => (r.body as { orderId: string }).orderId)).size, 1);
    // One execution under the id: its history starts once, and the replays carry its request id.
    const creator = responses.find((r) => r.status === 202)!.body as { requestId: string };
    assert.ok(responses.every((r) => (r.body as { requestId: string }).requestId === creator.requestId));
    const history = await h.env.client.workflow.getHandle(`order-${key}`).fetchHistory();
    assert.equal(history.events?.filter((e) => e.workflowExecutionStartedEventAttributes).length, 1);
  });

  test("a completed order's key starts no new order", async () => {
    const key = newKey();
    const body = sampleOrder({ customer: { id: 'cust-instant', email: 'quick@example.com' } });
    assert.equal((await submitOrder(h.app, body, { key })).status, 202);
    const handle = h.env.client.workflow.getHandle(`order-${key}`);
    await handle.result();
    const { runId } = await handle.describe();
    const again = await submitOrder(h.app, body, { key });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal((again.body as Accepted).status, 'COMPLETED');
    const after = await handle.describe();
    assert.equal(after.runId, runId);
    assert.equal(after.status.name, 'COMPLETED');
  });
});

describe('POST /orders signatures', () => {
  test('missing signature is 401', async () => {
    assertProblem(await submitOrder(h.app, sampleOrder(), { signature: null }), 401, 'invalid-signature');
  });

  test('a signature made with an unknown secret is 401', async () => {
    assertProblem(
      await submitOrder(h.app, sampleOrder(), { secret: 'not-the-configured-secret' }),
      401,
      'invalid-signature',
    );
  });

  test('a signature over a different body is 401', async () => {
    const key = newKey();
    const other = JSON.stringify(sampleOrder({ currency: 'USD' }));
    const res = await submitOrder(h.app, sampleOrder(), {
      key,
      signature: signRequest({ method: 'POST', path: '/orders', idempotencyKey: key, body: other }, SIGNING_SECRET),
    });
    assertProblem(res, 401, 'invalid-signature');
  });

  test('a captured signed request resent under another Idempotency-Key is 401 and starts nothing', async () => {
    const raw = JSON.stringify(sampleOrder());
    const key = newKey();
    const signature = signRequest({ method: 'POST', path: '/orders', idempotencyKey: key, body: raw }, SIGNING_SECRET);
    assert.equal((await submitOrder(h.app, raw, { key, signature })).status, 202);

    const replayKey = newKey();
    const replay = await submitOrder(h.app, raw, { key: replayKey, signature });
    assert.match(String(assertProblem(replay, 401, 'invalid-signature').detail), /Idempotency-Key/);
    await assert.rejects(h.env.client.workflow.getHandle(`order-${replayKey}`).describe(), WorkflowNotFoundError);
    // Nor without a key at all: the signature covered one.
    assertProblem(await submitOrder(h.app, raw, { key: null, signature }), 401, 'invalid-signature');
  });

  test('a v1 (body-only) signature is 401 and says v2 is needed', async () => {
    const raw = JSON.stringify(sampleOrder());
    const t = Math.floor(Date.now() / 1000);
    const v1 = createHmac('sha256', SIGNING_SECRET).update(`${t}.${raw}`).digest('hex');
    const res = await submitOrder(h.app, raw, { signature: `t=${t},v1=${v1}` });
    assert.match(String(assertProblem(res, 401, 'invalid-signature').detail), /no longer accepted; sign with v2/);
  });

  test('a malformed signature header is 401', async () => {
    assertProblem(await submitOrder(h.app, sampleOrder(), { signature: 'sha256=abc' }), 401, 'invalid-signature');
  });

  test('a signature older than the tolerance is 401', async () => {
    const res = await submitOrder(h.app, sampleOrder(), { timestamp: Math.floor(Date.now() / 1000) - 301 });
    assert.match(String(assertProblem(res, 401, 'invalid-signature').detail), /window/);
  });

  test('a signature with the previous (rotated) secret is accepted', async () => {
    const res = await submitOrder(h.app, sampleOrder(), { secret: PREVIOUS_SIGNING_SECRET });
    assert.equal(res.status, 202, JSON.stringify(res.body));
  });
});

describe('POST /orders request errors', () => {
  test('missing Idempotency-Key is 400', async () => {
    const problem = assertProblem(await submitOrder(h.app, sampleOrder(), { key: null }), 400, 'invalid-request');
    assert.equal((problem.errors as { field: string }[])[0]?.field, 'Idempotency-Key');
  });

  test('an Idempotency-Key with forbidden characters is 400', async () => {
    assertProblem(await submitOrder(h.app, sampleOrder(), { key: "abc'def OR 1=1" }), 400, 'invalid-request');
  });

  test('malformed JSON is 400', async () => {
    assertProblem(await submitOrder(h.app, '{"customer": ', {}), 400, 'malformed-json');
  });

  test('a body over the configured limit is 413', async () => {
    const huge = JSON.stringify({ ...sampleOrder(), padding: 'x'.repeat(5000) });
    assertProblem(await submitOrder(h.app, huge, {}), 413, 'payload-too-large');
  });

  test('a non-JSON media type is 415', async () => {
    assertProblem(
      await submitOrder(h.app, 'customer=1', { contentType: 'application/x-www-form-urlencoded' }),
      415,
      'unsupported-media-type',
    );
  });

  test('schema violations are 422 with field errors', async () => {
    const bad = {
      ...sampleOrder(),
      currency: 'eur',
      items: [{ sku: 'SKU-BOOK', quantity: 0, unitPrice: 12.5 }],
    };
    const problem = assertProblem(await submitOrder(h.app, bad, {}), 422, 'validation-failed');
    const fields = (problem.errors as { field: string }[]).map((e) => e.field).sort();
    assert.deepEqual(fields, ['currency', 'items.0.quantity', 'items.0.unitPrice']);
  });

  test('unknown fields are 422', async () => {
    const problem = assertProblem(
      await submitOrder(h.app, { ...sampleOrder(), discount: 100 }, {}),
      422,
      'validation-failed',
    );
    assert.ok((problem.errors as { message: string }[]).some((e) => e.message.includes('discount')));
  });

  test('an invalid body starts nothing', async () => {
    const key = newKey();
    assert.equal((await submitOrder(h.app, { ...sampleOrder(), currency: 'euro' }, { key })).status, 422);
    await assert.rejects(h.env.client.workflow.getHandle(`order-${key}`).describe(), { name: 'WorkflowNotFoundError' });
  });
});
