import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decideApprovalUpdate, getOrderStateQuery } from '../../src/workflows/definitions';
import { FailureType } from '../../src/workflows/failures';
import { OrderStatus } from '../../src/workflows/order-status';
import { orderInput, setUpSaga, waitForState, updateRefusal, withSagaWorker, type Saga } from './harness';

let saga: Saga;
before(async () => {
  saga = await setUpSaga();
});
after(async () => {
  await saga?.env.teardown();
});

/** Total 5 000 > threshold 1 000: this order waits for a human. */
const bigOrder = () => orderInput({ policy: { approvalThreshold: 1_000 } });
const awaiting = (s: { status: string }) => s.status === OrderStatus.AWAITING_APPROVAL;

test('approved: the update returns the opened gate, then the order completes', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    const handle = await start(bigOrder());
    const waiting = await waitForState(handle, awaiting);
    assert.equal(waiting.currentStep, 'awaitApproval');
    assert.equal(waiting.approval!.reasons[0], 'total 50.00 EUR is above the approval threshold 10.00 EUR');
    assert.equal(waiting.approval!.fraud?.score, 0.1);
    assert.equal(waiting.order.total, 5_000);
    assert.equal(fakes.faults.callsOf('payments.capture').length, 0, 'nothing is charged before the decision');

    const after = await handle.executeUpdate(decideApprovalUpdate, {
      args: [{ decision: 'approve', approver: 'alice', comment: 'known customer' }],
    });
    assert.equal(after.status, OrderStatus.INVENTORY_LOCKED);
    assert.equal(after.approval?.decision?.approver, 'alice');
    assert.match(after.transitions.at(-1)!.reason, /approved by alice: known customer/);

    const done = await handle.result();
    assert.equal(done.status, OrderStatus.COMPLETED);
    assert.equal(fakes.payments.netCharged(), 5_000);
  });
});

test('rejected: compensated → REJECTED, stock back, never charged', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    const handle = await start(bigOrder());
    await waitForState(handle, awaiting);
    const after = await handle.executeUpdate(decideApprovalUpdate, { args: [{ decision: 'reject', approver: 'bob' }] });
    assert.equal(after.status, OrderStatus.REJECTED);
    assert.equal(after.lastError?.type, FailureType.ApprovalRejected);
    assert.equal(fakes.inventory.stock.get('SKU-1'), 10);
    assert.equal(fakes.faults.callsOf('payments.capture').length, 0);
  });
});

test('a fraud score in the review band waits for approval with the scorer reasons', async () => {
  await withSagaWorker(
    saga,
    async ({ start }) => {
      const handle = await start(orderInput());
      const waiting = await waitForState(handle, awaiting);
      assert.deepEqual(waiting.approval!.reasons.slice(1), ['new device', 'mismatched country']);
      assert.match(waiting.approval!.reasons[0]!, /fraud score 0.7 \(model\) is in the review band/);
      await handle.executeUpdate(decideApprovalUpdate, { args: [{ decision: 'approve', approver: 'bob' }] });
      assert.equal((await handle.result()).status, OrderStatus.COMPLETED);
    },
    { fakes: { fraudScore: 0.7, fraudReasons: ['new device', 'mismatched country'] } },
  );
});

test('the validator refuses an unknown approver, a decision when none is awaited, and a second decision', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    // Not (yet) awaiting approval: held in reserveInventory.
    const open = fakes.faults.gate('inventory.reserve');
    const handle = await start(bigOrder());
    await waitForState(handle, (s) => s.currentStep === 'reserveInventory');
    assert.match(
      await updateRefusal(
        handle.executeUpdate(decideApprovalUpdate, { args: [{ decision: 'approve', approver: 'alice' }] }),
      ),
      /not awaiting approval \(status RECEIVED\)/,
    );
    open();

    await waitForState(handle, awaiting);
    assert.match(
      await updateRefusal(
        handle.executeUpdate(decideApprovalUpdate, { args: [{ decision: 'approve', approver: 'mallory' }] }),
      ),
      /mallory is not an approver/,
    );
    assert.equal(
      (await handle.query(getOrderStateQuery)).status,
      OrderStatus.AWAITING_APPROVAL,
      'a refused decision changes nothing',
    );

    await handle.executeUpdate(decideApprovalUpdate, { args: [{ decision: 'approve', approver: 'alice' }] });
    assert.match(
      await updateRefusal(
        handle.executeUpdate(decideApprovalUpdate, { args: [{ decision: 'reject', approver: 'bob' }] }),
      ),
      /not awaiting approval/,
    );
    const done = await handle.result();
    assert.equal(done.status, OrderStatus.COMPLETED);
    assert.equal(done.approval?.decision?.approver, 'alice');
  });
});

test('no decision within 24 h pages the approvers once, with the full context', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    const input = bigOrder();
    const handle = await start(input);
    await waitForState(handle, awaiting);
    await saga.env.sleep('23 hours');
    assert.equal(fakes.notifications.pages().length, 0, 'no page before 24 h');
    await saga.env.sleep('61 minutes');
    const escalated = await waitForState(handle, (s) => s.attempts.pageApprovers !== undefined);
    assert.ok(escalated.approval?.escalatedAt);
    await saga.env.sleep('10 hours');
    const pages = fakes.notifications.pages();
    assert.equal(pages.length, 1, 'paged once');
    assert.equal(pages[0]!.template, 'approval-escalation');
    assert.deepEqual(pages[0]!.data.approvers, ['alice', 'bob']);
    assert.deepEqual((pages[0]!.data.order as { orderId: string }).orderId, input.orderId);
    assert.ok(Array.isArray(pages[0]!.data.reasons));
    assert.ok(pages[0]!.data.fraud);
    assert.equal(escalated.status, OrderStatus.AWAITING_APPROVAL, 'escalation does not decide');

    await handle.executeUpdate(decideApprovalUpdate, { args: [{ decision: 'approve', approver: 'bob' }] });
    assert.equal((await handle.result()).status, OrderStatus.COMPLETED);
  });
});

test('no decision within 72 h: automatic rejection → compensated → REJECTED', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    const state = await (await start(bigOrder())).result();
    assert.equal(state.status, OrderStatus.REJECTED);
    assert.equal(state.approval?.decision?.automatic, true);
    assert.equal(state.approval?.decision?.approver, 'system');
    assert.equal(fakes.notifications.pages().length, 1);
    const at = (s: OrderStatus) => Date.parse(state.transitions.find((t) => t.to === s)!.at);
    const waited = at(OrderStatus.COMPENSATING) - at(OrderStatus.AWAITING_APPROVAL);
    assert.ok(waited >= 72 * 3600_000 && waited < 72 * 3600_000 + 60_000, `rejected after ${waited} ms`);
    assert.equal(fakes.inventory.stock.get('SKU-1'), 10);
    assert.equal(fakes.faults.callsOf('payments.capture').length, 0);
  });
});
