import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { OrderState } from '../../src/workflows/definitions';
import type { OrderRequest } from '../../src/workflows/order-types';
import {
  type ApiHarness,
  bearer,
  newKey,
  sampleOrder,
  startApiHarness,
  submitOrder,
  TOKENS,
  assertProblem,
} from './harness';

let h: ApiHarness;
before(async () => {
  // A short settle wait so the slow-cancellation case answers 202 promptly.
  h = await startApiHarness({ config: { API_STEERING_WAIT_MS: '1500', API_BODY_LIMIT_BYTES: '2048' } });
});
after(async () => {
  await h?.stop();
});

async function placeOrder(overrides: Partial<OrderRequest> = {}): Promise<string> {
  const res = await submitOrder(h.app, sampleOrder(overrides), { key: newKey() });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return (res.body as { orderId: string }).orderId;
}

const bigOrder = (): Partial<OrderRequest> => ({ items: [{ sku: 'SKU-PIANO', quantity: 2, unitPrice: 250_000 }] });
const unknownOrderId = () => `order-${newKey()}`;

async function orderState(orderId: string): Promise<OrderState> {
  const res = await request(h.app).get(`/orders/${orderId}`).set(bearer(TOKENS.viewer));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as OrderState;
}

const approve = (orderId: string, token: string, body: unknown = { decision: 'approve', comment: 'looks fine' }) =>
  request(h.app)
    .post(`/orders/${orderId}/approval`)
    .set(bearer(token))
    .send(body as object);
const cancel = (orderId: string, token: string, body: unknown = { reason: 'customer changed their mind' }) =>
  request(h.app)
    .post(`/orders/${orderId}/cancel`)
    .set(bearer(token))
    .send(body as object);

describe('GET /orders/:id', () => {
  test("returns the workflow's state", async () => {
    const orderId = await placeOrder();
    const state = await orderState(orderId);
    assert.equal(state.orderId, orderId);
    assert.equal(state.status, 'INVENTORY_LOCKED');
    assert.equal(state.order.customer.id, 'cust-1001');
  });

  test('an unknown order is 404', async () => {
    assertProblem(
      await request(h.app).get(`/orders/${unknownOrderId()}`).set(bearer(TOKENS.viewer)),
      404,
      'order-not-found',
    );
  });

  test('an id that cannot be an order is 404', async () => {
    assertProblem(await request(h.app).get('/orders/not-an-order').set(bearer(TOKENS.viewer)), 404, 'order-not-found');
  });

  test('without a token is 401, with an unknown token is 401', async () => {
    const orderId = await placeOrder();
    assertProblem(await request(h.app).get(`/orders/${orderId}`), 401, 'unauthenticated');
    const res = await request(h.app).get(`/orders/${orderId}`).set(bearer('no-such-token-000000'));
    assertProblem(res, 401, 'unauthenticated');
    assert.match(res.headers['www-authenticate'] ?? '', /^Bearer/);
  });
});

describe('POST /orders/:id/approval', () => {
  test('an approver decides; the approver is the token identity', async () => {
    const orderId = await placeOrder(bigOrder());
    assert.equal((await orderState(orderId)).status, 'AWAITING_APPROVAL');
    const res = await approve(orderId, TOKENS.approver);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const state = res.body as OrderState;
    assert.equal(state.status, 'INVENTORY_LOCKED');
    assert.equal(state.approval?.decision?.approver, 'alice');
    assert.equal(state.approval?.decision?.comment, 'looks fine');
  });

  test('a body naming another approver is refused (422), not trusted', async () => {
    const orderId = await placeOrder(bigOrder());
    const res = await approve(orderId, TOKENS.approver, { decision: 'approve', approver: 'mallory' });
    assertProblem(res, 422, 'validation-failed');
    assert.equal((await orderState(orderId)).status, 'AWAITING_APPROVAL');
  });

  test('a rejection ends the order', async () => {
    const orderId = await placeOrder(bigOrder());
    const res = await approve(orderId, TOKENS.approver, { decision: 'reject' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body as OrderState).status, 'REJECTED');
  });

  test("the workflow validator's refusal is 409 with its reason", async () => {
    const orderId = await placeOrder();
    const problem = assertProblem(await approve(orderId, TOKENS.approver), 409, 'order-conflict');
    assert.match(String(problem.detail), /not awaiting approval/);
  });

  test('an approver token whose identity is not on the policy list is refused by the workflow (409)', async () => {
    const orderId = await placeOrder(bigOrder());
    const problem = assertProblem(await approve(orderId, TOKENS.otherApprover), 409, 'order-conflict');
    assert.match(String(problem.detail), /carol is not an approver/);
  });

  test('without a token is 401; an operator token is 403', async () => {
    const orderId = await placeOrder(bigOrder());
    assertProblem(
      await request(h.app).post(`/orders/${orderId}/approval`).send({ decision: 'approve' }),
      401,
      'unauthenticated',
    );
    assertProblem(await approve(orderId, TOKENS.operator), 403, 'forbidden');
    assertProblem(await approve(orderId, TOKENS.viewer), 403, 'forbidden');
    assert.equal((await orderState(orderId)).status, 'AWAITING_APPROVAL');
  });

  test('an unknown order is 404', async () => {
    assertProblem(await approve(unknownOrderId(), TOKENS.approver), 404, 'order-not-found');
  });

  test('body errors: 415, 400, 413, 422', async () => {
    const orderId = await placeOrder(bigOrder());
    const url = `/orders/${orderId}/approval`;
    assertProblem(
      await request(h.app).post(url).set(bearer(TOKENS.approver)).type('text/plain').send('approve'),
      415,
      'unsupported-media-type',
    );
    assertProblem(
      await request(h.app).post(url).set(bearer(TOKENS.approver)).type('application/json').send('{"decision":'),
      400,
      'malformed-json',
    );
    assertProblem(
      await approve(orderId, TOKENS.approver, { decision: 'approve', comment: 'x'.repeat(3000) }),
      413,
      'payload-too-large',
    );
    const invalid = assertProblem(
      await approve(orderId, TOKENS.approver, { decision: 'maybe' }),
      422,
      'validation-failed',
    );
    assert.equal((invalid.errors as { field: string }[])[0]?.field, 'decision');
  });
});

describe('POST /orders/:id/cancel', () => {
  test("an operator cancels on the customer's behalf; the requester is the token identity", async () => {
    const orderId = await placeOrder();
    const res = await cancel(orderId, TOKENS.operator);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const state = res.body as OrderState;
    assert.equal(state.status, 'CANCELLED');
    assert.deepEqual(
      { reason: state.cancellation?.reason, by: state.cancellation?.requestedBy },
      { reason: 'customer changed their mind', by: 'ops-bob' },
    );
  });

  test('an approver token is 403; no token is 401', async () => {
    const orderId = await placeOrder();
    assertProblem(await cancel(orderId, TOKENS.approver), 403, 'forbidden');
    assertProblem(await request(h.app).post(`/orders/${orderId}/cancel`).send({ reason: 'x' }), 401, 'unauthenticated');
  });

  test('after dispatch the validator refuses: 409 with the reason', async () => {
    const orderId = await placeOrder({ customer: { id: 'cust-dispatched', email: 'far@example.com' } });
    const problem = assertProblem(await cancel(orderId, TOKENS.operator), 409, 'order-conflict');
    assert.match(String(problem.detail), /already dispatched/);
  });

  test('a closed order is 409, not 404', async () => {
    const orderId = await placeOrder({ customer: { id: 'cust-instant', email: 'quick@example.com' } });
    await h.env.client.workflow.getHandle(orderId).result();
    const problem = assertProblem(await cancel(orderId, TOKENS.operator), 409, 'order-conflict');
    assert.match(String(problem.detail), /closed/);
  });

  test('a cancellation still settling after the wait answers 202 with Location', async () => {
    const orderId = await placeOrder({ customer: { id: 'cust-slow-cancel', email: 'slow@example.com' } });
    const res = await cancel(orderId, TOKENS.operator);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.headers.location, `/orders/${orderId}`);
    assert.equal((res.body as { accepted: boolean }).accepted, true);
  });

  test('a missing reason is 422; an unknown order is 404', async () => {
    const orderId = await placeOrder();
    assertProblem(await cancel(orderId, TOKENS.operator, {}), 422, 'validation-failed');
    assertProblem(await cancel(unknownOrderId(), TOKENS.operator), 404, 'order-not-found');
  });
});

describe('POST /orders/:id/retry', () => {
  test('an operator retries a parked order', async () => {
    const orderId = await placeOrder({ customer: { id: 'cust-parked', email: 'parked@example.com' } });
    const res = await request(h.app)
      .post(`/orders/${orderId}/retry`)
      .set(bearer(TOKENS.operator))
      .send({ reason: 'payments are back' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body as OrderState).status, 'COMPLETED');
  });

  test('an order that is not parked is 409; an approver is 403', async () => {
    const orderId = await placeOrder();
    const problem = assertProblem(
      await request(h.app).post(`/orders/${orderId}/retry`).set(bearer(TOKENS.operator)).send({}),
      409,
      'order-conflict',
    );
    assert.match(String(problem.detail), /NEEDS_ATTENTION/);
    assertProblem(
      await request(h.app).post(`/orders/${orderId}/retry`).set(bearer(TOKENS.approver)).send({}),
      403,
      'forbidden',
    );
  });
});
