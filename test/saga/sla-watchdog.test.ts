import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RateLimitedError } from '../../src/activities/errors';
import { getOrderStateQuery, retryParkedOrderUpdate } from '../../src/workflows/definitions';
import { OrderStatus } from '../../src/workflows/order-status';
import { orderInput, setUpSaga, waitForState, withSagaWorker, type Saga } from './harness';

let saga: Saga;
before(async () => {
  saga = await setUpSaga();
});
after(async () => {
  await saga?.env.teardown();
});

test('INVENTORY_LOCKED for under 300 s: no alert; at 300 s exactly one, with the full context; the order carries on', async () => {
  await withSagaWorker(
    saga,
    async ({ fakes, logs, start }) => {
      // Payments rate-limits every capture for a minute: the order sits in INVENTORY_LOCKED (10 attempts ≈ 9 min).
      fakes.faults.failAlways('payments.capture', () => new RateLimitedError('payments', 'too many requests', 60_000));
      const input = orderInput();
      const handle = await start(input);
      await waitForState(
        handle,
        (s) => s.status === OrderStatus.INVENTORY_LOCKED && s.currentStep === 'capturePayment',
      );

      // Time is measured from the recorded entry, on the test server's clock: under load, real time
      // between the entry and this line also moves that clock. The check well before the limit
      // leaves room for that; the exact 300 s boundary is checked on the breach itself.
      const locked = await handle.query(getOrderStateQuery);
      const enteredAt = Date.parse(
        [...locked.transitions].reverse().find((t) => t.to === OrderStatus.INVENTORY_LOCKED)!.at,
      );
      await saga.env.sleep(Math.max(0, enteredAt + 240_000 - (await saga.env.currentTimeMs())));
      const before = await handle.query(getOrderStateQuery);
      assert.ok((await saga.env.currentTimeMs()) < enteredAt + 300_000, 'still under the limit when asked');
      assert.equal(before.status, OrderStatus.INVENTORY_LOCKED);
      assert.equal(before.sla, null);
      assert.equal(fakes.alerts.raised.size, 0);

      await saga.env.sleep(Math.max(0, enteredAt + 301_000 - (await saga.env.currentTimeMs())));
      const alerted = await waitForState(handle, (s) => s.sla?.alert.status === 'sent');
      const breachedAfterMs = Date.parse(alerted.sla!.breachedAt) - Date.parse(alerted.sla!.enteredAt);
      assert.ok(breachedAfterMs >= 300_000 && breachedAfterMs < 301_000, `breached after ${breachedAfterMs} ms`);
      assert.equal(alerted.status, OrderStatus.INVENTORY_LOCKED, 'the alert does not move the order');
      assert.equal(fakes.alerts.raised.size, 1);
      const alert = fakes.alerts.raised.get(`${input.orderId}:raiseSlaAlert`);
      assert.ok(alert, 'posted under the deterministic key of the step');
      assert.equal(alert.severity, 'high');
      assert.equal(alert.orderId, input.orderId);
      const context = alert.context as {
        status: string;
        timeInStateMs: number;
        limit: string;
        lastError: { step: string; type: string } | null;
        links: { webUi: string; cli: string };
      };
      assert.equal(context.status, OrderStatus.INVENTORY_LOCKED);
      assert.equal(context.limit, '300s');
      assert.ok(
        context.timeInStateMs >= 300_000 && context.timeInStateMs < 301_000,
        `time in state ${context.timeInStateMs}`,
      );
      assert.deepEqual(
        context.lastError && [context.lastError.step, context.lastError.type],
        ['capturePayment', 'RateLimited'],
        "the retrying step's latest failure",
      );
      assert.match(context.links.webUi, new RegExp(`/namespaces/default/workflows/${input.orderId}$`));
      assert.equal(context.links.cli, `temporal workflow describe --namespace default --workflow-id ${input.orderId}`);
      assert.equal(alerted.sla?.limit, '300s');

      // The order goes on: its capture runs out of retries and it parks; healed and retried, it completes.
      const parked = await (async () => {
        await saga.env.sleep('10 minutes');
        return waitForState(handle, (s) => s.status === OrderStatus.NEEDS_ATTENTION);
      })();
      assert.equal(parked.parked?.step, 'capturePayment');
      fakes.faults.heal('payments.capture');
      await handle.executeUpdate(retryParkedOrderUpdate, { args: [{ operator: 'ops' }] });
      const done = await handle.result();
      assert.equal(done.status, OrderStatus.COMPLETED);
      // Once per order: no second alert, even though every activation replayed the history (no cache).
      assert.equal(fakes.alerts.raised.size, 1);
      assert.equal(fakes.faults.callsOf('alerts.raise').length, 1);
      assert.equal(logs.filter((l) => l.message === 'order SLA breached').length, 1);
      assert.equal(logs.find((l) => l.message === 'order SLA breached')?.level, 'error');
    },
    { worker: { maxCachedWorkflows: 0 } },
  );
});

test('the SLA comes from the order policy; a stay that ends in time raises nothing', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    const input = orderInput({ policy: { inventoryLockedSla: '90s' } });
    fakes.faults.fail('payments.capture', 1, () => new RateLimitedError('payments', 'too many requests', 60_000));
    const state = await (await start(input)).result();
    assert.equal(state.status, OrderStatus.COMPLETED);
    assert.equal(state.sla, null, '60 s in INVENTORY_LOCKED is within 90 s');
    assert.equal(fakes.alerts.raised.size, 0);

    const slow = orderInput({ policy: { inventoryLockedSla: '90s' } });
    fakes.faults.fail('payments.capture', 2, () => new RateLimitedError('payments', 'too many requests', 60_000));
    const late = await (await start(slow)).result();
    assert.equal(late.status, OrderStatus.COMPLETED);
    assert.equal(late.sla?.limit, '90s');
    assert.equal(late.sla?.alert.status, 'sent');
    assert.equal(fakes.alerts.raised.size, 1);
  });
});
