import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { waitDays } from '../fixtures/foundation-workflows';
import { createTimeSkippingEnv } from '../harness/temporal';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await createTimeSkippingEnv();
});
after(async () => {
  await env?.teardown();
});

test('a workflow that sleeps 3 days completes under time skipping', async () => {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'foundation-time-skipping',
    workflowsPath: require.resolve('../fixtures/foundation-workflows'),
  });
  const wallStart = performance.now();
  const result = await worker.runUntil(
    env.client.workflow.execute<typeof waitDays>('waitDays', {
      args: [3],
      taskQueue: 'foundation-time-skipping',
      workflowId: 'wait-3-days',
    }),
  );
  const wallMs = performance.now() - wallStart;
  // Workflow time moved three days; the wall clock did not (reported, not asserted).
  assert.ok(result.finishedAt - result.startedAt >= 3 * 24 * 3600 * 1000);
  process.stderr.write(`3 days of workflow time took ${wallMs.toFixed(0)} ms of wall time\n`);
});
