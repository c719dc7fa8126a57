import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Worker, type InjectedSinks, type LoggerSinks } from '@temporalio/worker';
import { PaymentDeclinedError } from '../../src/activities/errors';
import { OrderStatus } from '../../src/workflows/order-status';
import { orderInput, setUpSaga, transitionLogs, withSagaWorker, type LogLine, type Saga } from './harness';

let saga: Saga;
before(async () => {
  saga = await setUpSaga();
});
after(async () => {
  await saga?.env.teardown();
});

test('one log line per transition even when every activation replays the history (no workflow cache)', async () => {
  await withSagaWorker(
    saga,
    async ({ fakes, logs, start }) => {
      fakes.faults.fail('payments.capture', 1, () => new PaymentDeclinedError('payments', 'card declined'));
      const state = await (await start(orderInput())).result();
      assert.equal(state.status, OrderStatus.TRANSACTION_REVOKED);
      const lines = transitionLogs(logs);
      assert.equal(lines.length, state.transitions.length);
      assert.deepEqual(
        lines.map((l) => l.attrs.to),
        state.transitions.map((t) => t.to),
      );
    },
    { worker: { maxCachedWorkflows: 0 } },
  );
});

test('replaying a recorded history is deterministic and writes no log line', async () => {
  const history = await withSagaWorker(saga, async ({ start }) => {
    const handle = await start(orderInput());
    assert.equal((await handle.result()).status, OrderStatus.COMPLETED);
    return handle.fetchHistory();
  });
  const replayed: LogLine[] = [];
  const capture = (level: string) => ({
    fn: (_info: unknown, message: string, attrs?: Record<string, unknown>) =>
      void replayed.push({ level, message, attrs: attrs ?? {} }),
  });
  const sinks: InjectedSinks<LoggerSinks> = {
    defaultWorkerLogger: {
      trace: capture('trace'),
      debug: capture('debug'),
      info: capture('info'),
      warn: capture('warn'),
      error: capture('error'),
    },
  };
  await Worker.runReplayHistory({ workflowBundle: saga.bundle, sinks }, history);
  assert.equal(transitionLogs(replayed).length, 0);
});
