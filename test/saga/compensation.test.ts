import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { DownstreamUnavailableError, PaymentDeclinedError } from '../../src/activities/errors';
import { getOrderStateQuery, retryParkedOrderUpdate } from '../../src/workflows/definitions';
import { FailureType } from '../../src/workflows/failures';
import { OrderStatus } from '../../src/workflows/order-status';
import { orderInput, setUpSaga, transitionLogs, waitForState, withSagaWorker, type Saga } from './harness';

let saga: Saga;
before(async () => {
  saga = await setUpSaga();
});
after(async () => {
  await saga?.env.teardown();
});

test('a compensation that keeps failing parks the order in NEEDS_ATTENTION; an operator retry finishes it', async () => {
  await withSagaWorker(saga, async ({ fakes, logs, start }) => {
    fakes.faults.fail('payments.capture', 1, () => new PaymentDeclinedError('payments', 'card declined'));
    fakes.faults.failAlways(
      'inventory.release',
      () => new DownstreamUnavailableError('inventory', '503 Service Unavailable'),
    );
    const input = orderInput();
    const handle = await start(input);
    // Let workflow time run through the release's retries (about 8 minutes of backoff).
    await saga.env.sleep('1 hour');
    const parked = await waitForState(handle, (s) => s.status === OrderStatus.NEEDS_ATTENTION);

    assert.deepEqual(
      parked.transitions.map((t) => t.to),
      [OrderStatus.RECEIVED, OrderStatus.INVENTORY_LOCKED, OrderStatus.COMPENSATING, OrderStatus.NEEDS_ATTENTION],
    );
    assert.equal(parked.attempts.releaseInventory, 20, 'every attempt of the compensation policy was used');
    assert.deepEqual(
      parked.compensations.map((c) => [c.step, c.status, c.error?.type]),
      [
        ['refundPayment', 'completed', undefined],
        ['releaseInventory', 'failed', FailureType.DownstreamUnavailable],
      ],
    );
    assert.deepEqual(parked.lastError && [parked.lastError.step, parked.lastError.type], [
      'releaseInventory',
      FailureType.DownstreamUnavailable,
    ]);
    assert.deepEqual(parked.parked?.pendingCompensations, ['releaseInventory']);
    assert.equal(parked.parked?.from, OrderStatus.COMPENSATING);
    assert.match(parked.transitions.at(-1)!.reason, /compensation failed: releaseInventory/);
    // It keeps what could not be released, and waits: a day later it is still parked.
    assert.equal(fakes.inventory.stock.get('SKU-1'), 8);
    await saga.env.sleep('1 day');
    assert.equal((await handle.query(getOrderStateQuery)).status, OrderStatus.NEEDS_ATTENTION);

    fakes.faults.heal('inventory.release');
    const resumed = await handle.executeUpdate(retryParkedOrderUpdate, {
      args: [{ operator: 'ops:grace', reason: 'inventory is back' }],
    });
    assert.equal(resumed.status, OrderStatus.TRANSACTION_REVOKED);
    assert.equal(resumed.parked, null);
    assert.deepEqual(
      resumed.transitions.slice(3).map((t) => [t.from, t.to]),
      [
        [OrderStatus.COMPENSATING, OrderStatus.NEEDS_ATTENTION],
        [OrderStatus.NEEDS_ATTENTION, OrderStatus.COMPENSATING],
        [OrderStatus.COMPENSATING, OrderStatus.TRANSACTION_REVOKED],
      ],
    );
    assert.match(resumed.transitions[4]!.reason, /operator ops:grace retried: inventory is back/);
    // The refund is not run again; only the failed release is.
    assert.deepEqual(
      resumed.compensations.map((c) => [c.step, c.status]),
      [
        ['refundPayment', 'completed'],
        ['releaseInventory', 'failed'],
        ['releaseInventory', 'completed'],
      ],
    );
    assert.equal(fakes.faults.callsOf('payments.refund').length, 1);
    assert.equal(fakes.inventory.stock.get('SKU-1'), 10);
    assert.equal((await handle.result()).status, OrderStatus.TRANSACTION_REVOKED);
    assert.equal(transitionLogs(logs).length, resumed.transitions.length);
  });
});

test('the retry update is refused for an order that is not parked', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    const open = fakes.faults.gate('inventory.reserve');
    const handle = await start(orderInput());
    await waitForState(handle, (s) => s.currentStep === 'reserveInventory');
    const err = await handle.executeUpdate(retryParkedOrderUpdate, { args: [{ operator: 'ops:grace' }] }).then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowUpdateFailedError);
    assert.match(err.cause?.message ?? '', /is not parked \(status RECEIVED\)/);
    open();
    assert.equal((await handle.result()).status, OrderStatus.COMPLETED);
  });
});

test('an illegal transition fails the workflow task loudly and leaves the order open', async () => {
  const taskQueue = 'saga-illegal-transition';
  const worker = await Worker.create({
    connection: saga.env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../fixtures/saga-illegal-transition'),
  });
  await worker.runUntil(async () => {
    const input = orderInput();
    const handle = await saga.env.client.workflow.start('buggyOrder', {
      args: [input],
      taskQueue,
      workflowId: input.orderId,
    });
    let failure: string | undefined;
    for (let i = 0; i < 200 && !failure; i++) {
      const history = await handle.fetchHistory();
      failure =
        history.events?.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure
          ?.message ?? undefined;
      if (!failure) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(failure, 'Illegal order transition RECEIVED → COMPLETED');
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    await handle.terminate('test over');
  });
});
