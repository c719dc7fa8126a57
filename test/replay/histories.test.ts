/**
 * Every history checked in under test/fixtures/histories (recorded from orders under earlier
 * workflow code by test/replay/record-history.ts) must replay against the current workflow code:
 * a change that would break an order in flight fails here, before it is deployed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import '../harness/temporal'; // quiet SDK runtime logger
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

test('the checked-in histories replay against the current workflow code', async () => {
  const files = fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort();
  assert.ok(files.length >= 3, `expected the recorded histories in ${FIXTURES}`);
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows/order-fulfillment'),
    logger: silent,
  });
  const histories = files.map((file) => ({
    workflowId: file,
    history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8'))),
  }));

  const outcomes: Record<string, string> = {};
  for await (const result of Worker.runReplayHistories({ workflowBundle, replayName: 'fixtures' }, histories)) {
    outcomes[result.workflowId] = result.error ? `${result.error.name}: ${result.error.message}` : 'ok';
  }
  assert.deepEqual(outcomes, Object.fromEntries(files.map((f) => [f, 'ok'])));
});
