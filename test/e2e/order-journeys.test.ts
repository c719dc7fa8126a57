/**
 * Orders through the whole system: signed HTTP request → API → Temporal → workflow →
 * activities → HTTP clients → reference services and their ledgers.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import request from 'supertest';
import type { OrderState } from '../../src/workflows/definitions';
import type { OrderRequest } from '../../src/workflows/order-types';
import { bearer, submitOrder, TOKENS } from '../api/harness';
import { availableStock, http, setFaults, setStock } from '../services/harness';
import { startStack, type Stack } from './harness';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

/** Each test sells its own SKU so stock assertions are exact. */
async function freshSku(available = 10): Promise<string> {
  const sku = `SKU-E2E-${randomUUID().slice(0, 8).toUpperCase()}`;
  await setStock(stack.services.urls.inventory, sku, available);
  return sku;
}

function order(sku: string, overrides: Partial<OrderRequest> = {}): OrderRequest {
  return {
    customer: { id: 'cust-e2e', email: 'grace@example.com', name: 'Grace Hopper' },
    items: [{ sku, quantity: 3, unitPrice: 2_000 }],
    currency: 'EUR',
    shippingAddress: {
      name: 'Grace Hopper',
      line1: '1 Harbour St',
      city: 'Dublin',
      postalCode: 'D02 X285',
      country: 'IE',
    },
    ...overrides,
  };
}

async function place(body: OrderRequest): Promise<string> {
  const res = await submitOrder(stack.app, body);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return (res.body as { orderId: string }).orderId;
}

const result = (orderId: string) => stack.env.client.workflow.getHandle(orderId).result() as Promise<OrderState>;

async function readState(orderId: string): Promise<OrderState> {
  const res = await request(stack.app).get(`/orders/${orderId}`).set(bearer(TOKENS.operator));
  assert.equal(res.status, 200);
  return res.body as OrderState;
}

async function waitForStatus(orderId: string, status: string): Promise<OrderState> {
  for (let i = 0; i < 200; i++) {
    const state = await readState(orderId);
    if (state.status === status) return state;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`order ${orderId} never reached ${status}`);
}

async function ledger(service: 'payments' | 'inventory' | 'primaryCarrier', path: string) {
  return (await http(stack.services.urls[service], 'GET', path)).body;
}

test('a happy order is charged once, shipped once, and its stock leaves the warehouse', async () => {
  const sku = await freshSku(10);
  const orderId = await place(order(sku));
  const final = await result(orderId);
  assert.equal(final.status, 'COMPLETED');
  assert.deepEqual(
    final.transitions.map((t) => t.to),
    ['RECEIVED', 'INVENTORY_LOCKED', 'PAYMENT_CAPTURED', 'SHIPPING_DISPATCHED', 'COMPLETED'],
  );
  const { charges } = (await ledger('payments', `/charges?orderId=${orderId}`)) as {
    charges: { status: string; amount: number }[];
  };
  assert.deepEqual(
    charges.map((c) => [c.status, c.amount]),
    [['captured', 6_000]],
  );
  const { shipments } = (await ledger('primaryCarrier', `/shipments?orderId=${orderId}`)) as { shipments: unknown[] };
  assert.equal(shipments.length, 1);
  const { reservations } = (await ledger('inventory', `/reservations?orderId=${orderId}`)) as {
    reservations: { status: string }[];
  };
  assert.deepEqual(
    reservations.map((r) => r.status),
    ['committed'],
  );
  assert.equal(await availableStock(stack.services.urls.inventory, sku), 7);
});

test('a declined payment revokes the order and gives the stock back', async () => {
  const sku = await freshSku(10);
  const orderId = await place(order(sku, { customer: { id: 'cust-declined-e2e', email: 'mallory@example.com' } }));
  const final = await result(orderId);
  assert.equal(final.status, 'TRANSACTION_REVOKED');
  assert.equal(final.lastError?.type, 'PaymentDeclined');
  assert.deepEqual(
    final.compensations
      .map((c) => [c.step, c.status])
      .filter(([, s]) => s === 'completed')
      .map(([step]) => step)
      .includes('releaseInventory'),
    true,
  );
  const { reservations } = (await ledger('inventory', `/reservations?orderId=${orderId}`)) as {
    reservations: { status: string }[];
  };
  assert.deepEqual(
    reservations.map((r) => r.status),
    ['released'],
  );
  assert.equal(await availableStock(stack.services.urls.inventory, sku), 10);
  const { charges } = (await ledger('payments', `/charges?orderId=${orderId}`)) as { charges: { status: string }[] };
  assert.ok(charges.every((c) => c.status !== 'captured'));
});

test('an order above the threshold waits for an approver, then completes', async () => {
  const sku = await freshSku(10);
  const orderId = await place(order(sku, { items: [{ sku, quantity: 2, unitPrice: 60_000 }] }));
  const waiting = await waitForStatus(orderId, 'AWAITING_APPROVAL');
  assert.match(waiting.approval?.reasons.join(' ') ?? '', /threshold/);
  const approved = await request(stack.app)
    .post(`/orders/${orderId}/approval`)
    .set(bearer(TOKENS.approver))
    .send({ decision: 'approve', comment: 'known customer' });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  const final = await result(orderId);
  assert.equal(final.status, 'COMPLETED');
  assert.equal(final.approval?.decision?.approver, 'alice');
});

test('an order cancelled while it waits for approval releases its stock', async () => {
  const sku = await freshSku(10);
  const orderId = await place(order(sku, { items: [{ sku, quantity: 4, unitPrice: 60_000 }] }));
  await waitForStatus(orderId, 'AWAITING_APPROVAL');
  assert.equal(await availableStock(stack.services.urls.inventory, sku), 6);
  const cancelled = await request(stack.app)
    .post(`/orders/${orderId}/cancel`)
    .set(bearer(TOKENS.operator))
    .send({ reason: 'customer asked' });
  assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
  assert.equal((await result(orderId)).status, 'CANCELLED');
  assert.equal(await availableStock(stack.services.urls.inventory, sku), 10);
});

test('a payments outage is ridden out by retries, and the customer is charged once', async () => {
  const sku = await freshSku(10);
  await setFaults(stack.services.urls.payments, { outage: 'unavailable' });
  try {
    const orderId = await place(order(sku));
    const handle = stack.env.client.workflow.getHandle(orderId);
    // Wait until Temporal has retried the capture at least twice against the outage.
    for (let i = 0; i < 400; i++) {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      if (pending.some((p) => p.activityType?.name === 'capturePayment' && (p.attempt ?? 0) >= 3)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await setFaults(stack.services.urls.payments, {});
    const final = await result(orderId);
    assert.equal(final.status, 'COMPLETED');
    assert.ok((final.attempts.capturePayment ?? 0) >= 3, `expected retries, got ${final.attempts.capturePayment}`);
    const { charges } = (await ledger('payments', `/charges?orderId=${orderId}`)) as { charges: { status: string }[] };
    assert.deepEqual(
      charges.map((c) => c.status),
      ['captured'],
    );
  } finally {
    await setFaults(stack.services.urls.payments, {});
  }
});
