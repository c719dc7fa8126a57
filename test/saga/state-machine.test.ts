import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assertTransition,
  canTransition,
  IllegalTransitionError,
  isTerminal,
  ORDER_TRANSITIONS,
} from '../../src/workflows/order-status';
import { OrderStatus, TERMINAL_STATUSES } from '../../src/workflows/order-status';

const S = OrderStatus;
const ALL = Object.values(OrderStatus);

/** The intended table, written out pair by pair so a change to the module must be deliberate. */
const LEGAL = new Set<string>([
  'null>RECEIVED',
  'RECEIVED>INVENTORY_LOCKED',
  'RECEIVED>COMPENSATING',
  'RECEIVED>NEEDS_ATTENTION',
  'INVENTORY_LOCKED>AWAITING_APPROVAL',
  'INVENTORY_LOCKED>PAYMENT_CAPTURED',
  'INVENTORY_LOCKED>COMPENSATING',
  'INVENTORY_LOCKED>NEEDS_ATTENTION',
  'AWAITING_APPROVAL>INVENTORY_LOCKED',
  'AWAITING_APPROVAL>COMPENSATING',
  'PAYMENT_CAPTURED>SHIPPING_DISPATCHED',
  'PAYMENT_CAPTURED>COMPENSATING',
  'PAYMENT_CAPTURED>NEEDS_ATTENTION',
  'SHIPPING_DISPATCHED>COMPLETED',
  'SHIPPING_DISPATCHED>NEEDS_ATTENTION',
  'COMPENSATING>TRANSACTION_REVOKED',
  'COMPENSATING>CANCELLED',
  'COMPENSATING>REJECTED',
  'COMPENSATING>NEEDS_ATTENTION',
  'NEEDS_ATTENTION>RECEIVED',
  'NEEDS_ATTENTION>INVENTORY_LOCKED',
  'NEEDS_ATTENTION>PAYMENT_CAPTURED',
  'NEEDS_ATTENTION>SHIPPING_DISPATCHED',
  'NEEDS_ATTENTION>COMPENSATING',
]);

test('every (from, to) pair is legal exactly when the table says so; illegal ones throw', () => {
  let checked = 0;
  for (const from of [null, ...ALL]) {
    for (const to of ALL) {
      const legal = LEGAL.has(`${from}>${to}`);
      assert.equal(canTransition(from, to), legal, `${from} → ${to}`);
      if (legal) assert.doesNotThrow(() => assertTransition(from, to));
      else
        assert.throws(
          () => assertTransition(from, to),
          (err: unknown) =>
            err instanceof IllegalTransitionError &&
            err.from === from &&
            err.to === to &&
            err.message.includes(`→ ${to}`),
        );
      checked++;
    }
  }
  assert.equal(checked, (ALL.length + 1) * ALL.length);
});

test('terminal statuses have no way out, and every other status has one', () => {
  for (const s of ALL) {
    assert.equal(isTerminal(s), TERMINAL_STATUSES.includes(s));
    assert.equal(ORDER_TRANSITIONS[s].length === 0, isTerminal(s), s);
  }
});

test('every status is reachable from RECEIVED', () => {
  const seen = new Set<OrderStatus>([S.RECEIVED]);
  const queue: OrderStatus[] = [S.RECEIVED];
  while (queue.length > 0) {
    for (const next of ORDER_TRANSITIONS[queue.shift()!]) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  assert.deepEqual([...seen].sort(), [...ALL].sort());
});
