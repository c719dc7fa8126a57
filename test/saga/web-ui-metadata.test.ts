/**
 * What the Web UI and the CLI show of an order through Temporal's user metadata: the static
 * summary and details it is started with, the current details the workflow keeps up to date, and
 * the summaries of its activities and timers in the history.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { RateLimitedError } from '../../src/activities/errors';
import { cancelOrderUpdate, getOrderStateQuery, receivedOrderState } from '../../src/workflows/definitions';
import { currentDetails, STATUS_SETTLE } from '../../src/workflows/order-recorder';
import { OrderStatus } from '../../src/workflows/order-status';
import { formatMoney, orderStartMetadata, truncateUtf8 } from '../../src/workflows/order-types';
import { orderInput, setUpSaga, waitForState, withSagaWorker, type OrderHandle, type Saga } from './harness';

let saga: Saga;
before(async () => {
  saga = await setUpSaga();
});
after(async () => {
  await saga?.env.teardown();
});

const decode = (payload: Parameters<typeof defaultPayloadConverter.fromPayload>[0] | null | undefined) =>
  payload ? defaultPayloadConverter.fromPayload<string>(payload) : undefined;

/** Every summary in the history, by event: activity type or "timer". */
async function summaries(handle: OrderHandle): Promise<{ what: string; summary: string | undefined }[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((e) => {
    const activity = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (activity) return [{ what: activity, summary: decode(e.userMetadata?.summary) }];
    if (e.timerStartedEventAttributes) return [{ what: 'timer', summary: decode(e.userMetadata?.summary) }];
    return [];
  });
}

/** The timer after which a status the order passes through is upserted (`settled-status`). */
const settleTimer = (status: OrderStatus) =>
  `${status}: listed in visibility if the order is still there after ${STATUS_SETTLE}`;

const details = async (handle: OrderHandle) => (await handle.query(workflowMetadataQuery)).currentDetails ?? '';

test('an order carries its static summary and details, every activity and timer a summary, and current details', async () => {
  await withSagaWorker(saga, async ({ start }) => {
    const input = orderInput();
    const handle = await start(input);
    assert.equal((await handle.result()).status, OrderStatus.COMPLETED);

    const description = await handle.describe();
    const expected = orderStartMetadata(input);
    assert.equal(await description.staticSummary(), expected.staticSummary);
    assert.equal(await description.staticDetails(), expected.staticDetails);

    const events = await summaries(handle);
    assert.deepEqual(
      events.map((e) => e.what),
      [
        // Scheduled together: the score is a read, used once the stock is locked.
        'reserveInventory',
        'scoreFraud',
        'timer',
        'timer',
        'capturePayment',
        'timer',
        'dispatchShipment',
        'timer',
        // Scheduled together, the mail first (it goes out alongside the commit).
        'notifyCustomer',
        'commitInventory',
      ],
    );
    for (const { what, summary } of events) assert.ok(summary, `${what} has a summary`);
    assert.equal(events.find((e) => e.what === 'capturePayment')?.summary, 'Capture 50.00 EUR');
    assert.deepEqual(
      events.filter((e) => e.what === 'timer').map((e) => e.summary),
      [
        settleTimer(OrderStatus.INVENTORY_LOCKED),
        'SLA watchdog: one alert if the order is still INVENTORY_LOCKED after 300s',
        settleTimer(OrderStatus.PAYMENT_CAPTURED),
        settleTimer(OrderStatus.SHIPPING_DISPATCHED),
      ],
    );

    // A closed workflow still answers the metadata query (a worker replays it).
    const text = await details(handle);
    assert.match(text, /^\*\*COMPLETED\*\* since \S+: shipped and stock committed\n\n/);
    assert.match(text, /- \*\*Attempts:\*\* reserveInventory 1, scoreFraud 1, capturePayment 1, dispatchShipment 1/);
    assert.doesNotMatch(text, /\*\*Step:\*\*|\*\*SLA/);
  });
});

test('current details follow the order: the step and SLA due, the breach, the park, the compensations', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    // Every capture is rate-limited for a minute: the SLA breaks at 300 s, the retries run out at ≈ 9 min.
    fakes.faults.failAlways('payments.capture', () => new RateLimitedError('payments', 'too many requests', 60_000));
    const handle = await start(orderInput());
    await waitForState(handle, (s) => s.currentStep === 'capturePayment');
    const locked = await details(handle);
    assert.match(locked, /^\*\*INVENTORY_LOCKED\*\* since /);
    assert.match(locked, /- \*\*Step:\*\* `capturePayment` running\n/);
    assert.match(locked, /- \*\*SLA:\*\* at most 300s in INVENTORY_LOCKED, due \d{4}-\d\d-\d\dT/);

    await saga.env.sleep('10 minutes');
    const parked = await waitForState(handle, (s) => s.status === OrderStatus.NEEDS_ATTENTION);
    assert.equal(parked.sla?.alert.status, 'sent');
    const text = await details(handle);
    assert.match(text, /^\*\*NEEDS_ATTENTION\*\* since \S+: capturePayment: retries ran out/);
    assert.match(text, /- \*\*Parked\*\* on step `capturePayment`, waiting for an operator's retry: /);
    assert.match(text, /- \*\*SLA breached:\*\* INVENTORY_LOCKED longer than 300s \(entered \S+\); alert sent/);
    assert.match(text, /- \*\*Last error:\*\* `capturePayment` RateLimited: too many requests/);
    assert.match(text, /capturePayment 10/);

    await handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'gave up', requestedBy: 'ops' }] });
    const cancelled = await handle.query(getOrderStateQuery);
    assert.equal(cancelled.status, OrderStatus.CANCELLED);
    const done = await details(handle);
    assert.match(done, /^\*\*CANCELLED\*\* since \S+: cancelled by ops: gave up/);
    assert.match(done, /- \*\*Compensations:\*\* refundPayment completed, releaseInventory completed/);
    assert.doesNotMatch(done, /\*\*Parked\*\*|\*\*SLA:\*\*/);

    const events = await summaries(handle);
    assert.ok(
      events.some(
        (e) => e.what === 'raiseSlaAlert' && e.summary === 'SLA alert: INVENTORY_LOCKED for longer than 300s',
      ),
    );
    assert.ok(events.some((e) => e.what === 'releaseInventory' && e.summary === 'Undo: release the stock lock'));
  });
});

test('an approval nobody decides: both of its timers say what they guard, the details say who is waited for', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    // The score held until the stock is locked: the order waits in INVENTORY_LOCKED for it (with a
    // score that is in already, it would go on to the approval in the same workflow task).
    const releaseScore = fakes.faults.gate('fraudModel.score');
    const handle = await start(orderInput({ policy: { approvalThreshold: 1_000 } }));
    await waitForState(handle, (s) => s.status === OrderStatus.INVENTORY_LOCKED);
    releaseScore();
    await waitForState(handle, (s) => s.status === OrderStatus.AWAITING_APPROVAL);
    assert.match(await details(handle), /- \*\*Approval\*\* requested at \S+; approvers not paged yet/);
    assert.match(await details(handle), /- \*\*Step:\*\* `awaitApproval`/);

    assert.equal((await handle.result()).status, OrderStatus.REJECTED);
    const timers = (await summaries(handle)).filter((e) => e.what === 'timer').map((e) => e.summary);
    assert.deepEqual(timers, [
      settleTimer(OrderStatus.INVENTORY_LOCKED),
      'SLA watchdog: one alert if the order is still INVENTORY_LOCKED after 300s',
      'Approval: page the approvers if undecided after 24h',
      'Approval: reject automatically if undecided 72h after the request',
    ]);
    assert.ok(
      (await summaries(handle)).some(
        (e) => e.what === 'pageApprovers' && e.summary === 'Page 2 approver(s): no decision yet',
      ),
    );
  });
});

test('the static summary and details: customer, total with currency, item lines; within Temporal’s limits', () => {
  const input = orderInput({
    items: [
      { sku: 'SKU-BOOK-003', quantity: 2, unitPrice: 1_250 },
      { sku: 'SKU-PEN-1', quantity: 1, unitPrice: 99 },
    ],
  });
  input.customer = { id: 'cust-1001', email: 'ada@example.com', name: 'Ada\nLovelace' };
  const { staticSummary, staticDetails } = orderStartMetadata(input);
  assert.equal(staticSummary, 'Order for Ada Lovelace (cust-1001): 25.99 EUR, 2 lines, 3 units');
  assert.equal(
    staticDetails,
    [
      '- **Customer:** Ada Lovelace (cust-1001)',
      '- **Total:** 25.99 EUR',
      '- **Ship to:** Paris, FR',
      '- **Items:**',
      '  - 2 × `SKU-BOOK-003` at 12.50 EUR = 25.00 EUR',
      '  - 1 × `SKU-PEN-1` at 0.99 EUR = 0.99 EUR',
    ].join('\n'),
  );

  const many = orderInput({
    items: Array.from({ length: 30 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1, unitPrice: 1 })),
  });
  many.customer.name = 'Ü'.repeat(400);
  const big = orderStartMetadata(many);
  assert.ok(Buffer.byteLength(JSON.stringify(big.staticSummary)) <= 400, 'the summary fits in 400 bytes');
  assert.ok(big.staticSummary.endsWith('…'));
  assert.equal(big.staticDetails.split('\n').filter((l) => l.startsWith('  - ')).length, 21);
  assert.ok(big.staticDetails.endsWith('\n  - … and 10 more lines'));
});

test('money in the currency’s minor unit; UTF-8 truncation', () => {
  assert.equal(formatMoney(4_000, 'EUR'), '40.00 EUR');
  assert.equal(formatMoney(5, 'USD'), '0.05 USD');
  assert.equal(formatMoney(1_500, 'JPY'), '1500 JPY');
  assert.equal(formatMoney(1_234, 'KWD'), '1.234 KWD');
  assert.equal(truncateUtf8('short', 10), 'short');
  assert.equal(truncateUtf8('ééééé', 8), 'éé…');
  assert.ok(Buffer.byteLength(truncateUtf8('€'.repeat(100), 50)) <= 50);
});

test('current details of a fresh order, and of one with a fallback and a failed compensation', () => {
  const state = receivedOrderState(orderInput());
  assert.equal(currentDetails(state), '**RECEIVED**');
  state.status = OrderStatus.COMPENSATING;
  state.transitions.push({ from: 'PAYMENT_CAPTURED', to: 'COMPENSATING', at: '2030-01-01T00:00:00.000Z', reason: 'x' });
  state.fallbacks = [{ step: 'dispatchShipment', from: 'primaryCarrier', to: 'backupCarrier', reason: 'r', at: 'a' }];
  state.compensations = [{ step: 'refundPayment', status: 'failed', at: 'a', error: { type: 'T', message: 'm' } }];
  state.lastError = { step: 'refundPayment', type: 'DownstreamUnavailable', message: 'payments\ndown `503`', at: 'a' };
  assert.equal(
    currentDetails(state),
    [
      '**COMPENSATING** since 2030-01-01T00:00:00.000Z: x',
      '',
      "- **Last error:** `refundPayment` DownstreamUnavailable: payments down '503' (a)",
      '- **Fallbacks:** dispatchShipment primaryCarrier → backupCarrier',
      '- **Compensations:** refundPayment failed',
    ].join('\n'),
  );
});
