import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { CustomerIdKey, OrderStatusKey } from '../../src/workflows/definitions';
import { createLocalEnv } from '../harness/temporal';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await createLocalEnv();
});
after(async () => {
  await env?.teardown();
});

async function listIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of env.client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

test('a workflow is found by a list query on a custom search attribute', async () => {
  const taskQueue = 'foundation-visibility';
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../fixtures/foundation-workflows'),
  });
  await worker.runUntil(async () => {
    await env.client.workflow.start('taggedWaiter', {
      args: ['INVENTORY_LOCKED'],
      taskQueue,
      workflowId: 'visible-order',
      typedSearchAttributes: [{ key: CustomerIdKey, value: 'cust-42' }],
    });
    await env.client.workflow.start('taggedWaiter', { args: ['COMPLETED'], taskQueue, workflowId: 'other-order' });
    // Visibility is eventually consistent: poll until the upsert is indexed.
    let found: string[] = [];
    for (let i = 0; i < 100 && found.length === 0; i++) {
      found = await listIds(`${OrderStatusKey.name}="INVENTORY_LOCKED" AND ${CustomerIdKey.name}="cust-42"`);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(found, ['visible-order']);
  });
});
