import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Context } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DownstreamBulkheads } from '../../src/activities/resilience/bulkheads';

const reservation = (workflowId: string, bulkheads: DownstreamBulkheads) =>
  new MockActivityEnvironment(
    { activityType: 'reserveInventory', workflowExecution: { workflowId, runId: `${workflowId}-run` } },
    { interceptors: [bulkheads.interceptor] },
  );

test('a call that waited for its turn runs as its own activity, not as the one that freed the slot', async () => {
  const bulkheads = new DownstreamBulkheads({ limits: { inventory: 1 } });
  let finishFirst!: () => void;
  const firstHolds = new Promise<void>((resolve) => (finishFirst = resolve));
  // What an activity derives its idempotency key from.
  const workflowOfCaller = async (hold?: Promise<void>) => {
    await hold;
    return Context.current().info.workflowExecution?.workflowId;
  };

  const first = reservation('order-a', bulkheads).run(workflowOfCaller, firstHolds);
  const second = reservation('order-b', bulkheads).run(workflowOfCaller);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(bulkheads.load().inventory, { limit: 1, running: 1, waiting: 1 });

  finishFirst();
  assert.deepEqual(await Promise.all([first, second]), ['order-a', 'order-b']);
});
