/**
 * The invariant checkers on hand-made ledgers and transition logs: a clean completed order
 * passes, and each kind of damage is reported. Proves the property test can fail.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OrderState, StatusTransition } from '../../src/workflows/definitions';
import { OrderStatus } from '../../src/workflows/order-status';
import { ledgerViolations, parkedViolations, transitionViolations } from './invariants';
import type { LedgerSnapshot } from './ledger-ports';

const S = OrderStatus;
const orderId = 'order-1';
const order = { orderId, status: S.COMPLETED, total: 3_000 };

/** A completed order: reserved then committed, captured once, shipped once. */
function completedLedger(): LedgerSnapshot {
  return {
    initialStock: { 'SKU-A': 10 },
    stock: { 'SKU-A': 8 },
    reservations: [
      {
        reservationId: 'res_1',
        key: `${orderId}:reserveInventory`,
        orderId,
        items: [{ sku: 'SKU-A', quantity: 2 }],
        status: 'committed',
      },
    ],
    charges: [{ chargeId: 'ch_1', key: `${orderId}:capturePayment`, orderId, amount: 3_000, status: 'captured' }],
    refunds: [],
    shipments: [{ shipmentId: 'shp_1', key: `${orderId}:dispatchShipment`, orderId, carrier: 'primaryCarrier' }],
  };
}

/** A cancelled order: released and refunded. */
function cancelledLedger(): LedgerSnapshot {
  const l = completedLedger();
  l.stock = { 'SKU-A': 10 };
  l.reservations[0]!.status = 'released';
  l.charges[0]!.status = 'refunded';
  l.refunds = [
    {
      refundId: 'rf_1',
      key: `${orderId}:refundPayment`,
      captureKey: `${orderId}:capturePayment`,
      orderId,
      amount: 3_000,
    },
  ];
  l.shipments = [];
  return l;
}

const t = (from: OrderStatus | null, to: OrderStatus): StatusTransition => ({
  from,
  to,
  at: '2024-01-01T00:00:00.000Z',
  reason: 'test',
});

test('clean ledgers of a completed and of a cancelled order have no violations', () => {
  assert.deepEqual(ledgerViolations(order, completedLedger()), []);
  assert.deepEqual(ledgerViolations({ ...order, status: S.CANCELLED }, cancelledLedger()), []);
});

test('a capture applied twice under one key, or twice for one order, is reported', () => {
  const sameKey = completedLedger();
  sameKey.charges.push({ ...sameKey.charges[0]!, chargeId: 'ch_2' });
  const found = ledgerViolations(order, sameKey);
  assert.ok(
    found.some((v) => /capture key order-1:capturePayment applied 2 times/.test(v)),
    found.join('\n'),
  );
  assert.ok(
    found.some((v) => /charged 2 times for one order/.test(v)),
    found.join('\n'),
  );

  const otherKey = completedLedger();
  otherKey.charges.push({ ...otherKey.charges[0]!, chargeId: 'ch_2', key: 'other' });
  assert.ok(ledgerViolations(order, otherKey).some((v) => /charged 2 times/.test(v)));
});

test('money kept without a shipment, a leaked reservation and a second refund are reported', () => {
  const kept = cancelledLedger();
  kept.charges[0]!.status = 'captured';
  kept.refunds = [];
  assert.ok(
    ledgerViolations({ ...order, status: S.CANCELLED }, kept).some((v) =>
      /CANCELLED but 3000 is still charged/.test(v),
    ),
  );

  const leaked = cancelledLedger();
  leaked.reservations[0]!.status = 'reserved';
  leaked.stock = { 'SKU-A': 8 };
  assert.ok(
    ledgerViolations({ ...order, status: S.CANCELLED }, leaked).some((v) =>
      /CANCELLED but its stock is still reserved/.test(v),
    ),
  );

  const refundedTwice = cancelledLedger();
  refundedTwice.refunds.push({ ...refundedTwice.refunds[0]!, refundId: 'rf_2', key: 'again' });
  assert.ok(
    ledgerViolations({ ...order, status: S.CANCELLED }, refundedTwice).some((v) =>
      /refund of capture order-1:capturePayment applied 2 times/.test(v),
    ),
  );
});

test('an order COMPLETED on a shipment that was voided is reported (charged, never shipped)', () => {
  const voided = completedLedger();
  voided.shipments[0]!.status = 'voided';
  assert.ok(ledgerViolations(order, voided).some((v) => /COMPLETED with 0 live shipments, not exactly one/.test(v)));
});

test('goods shipped twice, or shipped for an order that did not complete, are reported', () => {
  const twice = completedLedger();
  twice.shipments.push({ shipmentId: 'shp_2', key: `${orderId}:dispatchShipment`, orderId, carrier: 'backupCarrier' });
  assert.ok(
    ledgerViolations(order, twice).some((v) =>
      /shipped 2 times for one order \(primaryCarrier, backupCarrier\)/.test(v),
    ),
  );

  const shippedButRejected = cancelledLedger();
  shippedButRejected.shipments = completedLedger().shipments;
  assert.ok(
    ledgerViolations({ ...order, status: S.REJECTED }, shippedButRejected).some((v) =>
      /REJECTED but goods were shipped/.test(v),
    ),
  );
});

test('stock that does not add up is reported', () => {
  const lost = completedLedger();
  lost.stock = { 'SKU-A': 7 };
  assert.ok(ledgerViolations(order, lost).some((v) => /stock of SKU-A is 7 but 10 - 2 committed = 8/.test(v)));
});

test('the transition log must start at RECEIVED, chain, obey the table and end at the status', () => {
  const good = [
    t(null, S.RECEIVED),
    t(S.RECEIVED, S.INVENTORY_LOCKED),
    t(S.INVENTORY_LOCKED, S.PAYMENT_CAPTURED),
    t(S.PAYMENT_CAPTURED, S.SHIPPING_DISPATCHED),
    t(S.SHIPPING_DISPATCHED, S.COMPLETED),
  ];
  assert.deepEqual(transitionViolations({ status: S.COMPLETED, transitions: good }), []);
  assert.ok(
    transitionViolations({ status: S.COMPLETED, transitions: [t(null, S.RECEIVED), t(S.RECEIVED, S.COMPLETED)] }).some(
      (v) => /RECEIVED → COMPLETED is illegal/.test(v),
    ),
  );
  assert.ok(
    transitionViolations({
      status: S.CANCELLED,
      transitions: [t(null, S.RECEIVED), t(S.INVENTORY_LOCKED, S.COMPENSATING)],
    }).some((v) => /starts from INVENTORY_LOCKED but the order was in RECEIVED/.test(v)),
  );
  assert.ok(
    transitionViolations({ status: S.CANCELLED, transitions: good }).some((v) =>
      /ends in COMPLETED but the order says CANCELLED/.test(v),
    ),
  );
  assert.deepEqual(transitionViolations({ status: S.RECEIVED, transitions: [] }), ['the transition log is empty']);
});

test('a parked order must say why', () => {
  const parked: Pick<OrderState, 'status' | 'parked' | 'lastError' | 'transitions'> = {
    status: S.NEEDS_ATTENTION,
    parked: {
      reason: 'capturePayment: retries ran out',
      from: S.INVENTORY_LOCKED,
      at: '2024-01-01T00:00:00.000Z',
      pendingCompensations: [],
    },
    lastError: {
      step: 'capturePayment',
      type: 'DownstreamUnavailable',
      message: 'down',
      at: '2024-01-01T00:00:00.000Z',
    },
    transitions: [t(null, S.RECEIVED), t(S.RECEIVED, S.INVENTORY_LOCKED), t(S.INVENTORY_LOCKED, S.NEEDS_ATTENTION)],
  };
  assert.deepEqual(parkedViolations(parked), []);
  assert.deepEqual(parkedViolations({ ...parked, parked: null, lastError: null }), [
    'parked in NEEDS_ATTENTION without a parked record',
    'parked in NEEDS_ATTENTION with no lastError to explain it',
  ]);
  assert.ok(
    parkedViolations({ ...parked, parked: { ...parked.parked!, reason: ' ' } }).includes('parked without a reason'),
  );
});
