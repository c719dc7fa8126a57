/**
 * The pre-deploy replay (`npm run replay`, src/replay.ts) against a live cluster: orders run by
 * the real workflow on a local dev server (visibility queries need one), then their histories
 * are downloaded by query and by id and replayed: all ok against the current code, all
 * nondeterminism against a deliberately changed workflow.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PROJECT_ROOT } from '../../src/paths';
import { orderReplayOptions, replayLiveHistories, type ReplayOutcome } from '../../src/replay';
import { createLocalEnv } from '../harness/temporal';
import { orderInput, waitForState, withSagaWorker } from '../saga/harness';

let env: TestWorkflowEnvironment;
const orders = { completed: '', awaiting: '' };

before(async () => {
  env = await createLocalEnv();
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows/order-fulfillment'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  await withSagaWorker({ env, bundle }, async ({ start }) => {
    const completed = await start(orderInput());
    const awaiting = await start(orderInput({ policy: { approvalThreshold: 1_000 } }));
    assert.equal((await completed.result()).status, 'COMPLETED');
    await waitForState(awaiting, (s) => s.status === 'AWAITING_APPROVAL');
    orders.completed = completed.workflowId;
    orders.awaiting = awaiting.workflowId;
  });
  // Visibility is eventually consistent: wait until the query the test uses sees the order.
  for (let i = 0; i < 100; i++) {
    const found = [];
    for await (const wf of env.client.workflow.list({ query: 'OrderStatus="AWAITING_APPROVAL"' })) found.push(wf);
    if (found.length > 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('the waiting order never showed up in visibility');
});

after(async () => {
  await env?.teardown();
});

const verdicts = (outcomes: ReplayOutcome[]) =>
  Object.fromEntries(outcomes.map((o) => [o.workflowId, o.verdict])) as Record<string, string>;

test('histories selected by a query replay against the current workflow code', async () => {
  const seen: ReplayOutcome[] = [];
  const summary = await replayLiveHistories(
    env.client,
    { query: 'OrderStatus="AWAITING_APPROVAL"' },
    { onOutcome: (o) => seen.push(o) },
  );
  assert.deepEqual(verdicts(summary.outcomes), { [orders.awaiting]: 'ok' });
  assert.deepEqual(seen, summary.outcomes);
  assert.equal(summary.ok, 1);
});

test('histories selected by id replay, and a query is limited and kept to order workflows', async () => {
  const byId = await replayLiveHistories(env.client, { workflowIds: [orders.completed, orders.awaiting] });
  assert.deepEqual(verdicts(byId.outcomes), { [orders.completed]: 'ok', [orders.awaiting]: 'ok' });

  const limited = await replayLiveHistories(env.client, { query: "ExecutionStatus != 'Terminated'", limit: 1 });
  assert.equal(limited.outcomes.length, 1);
  assert.equal(limited.ok, 1);
});

test('the bundle with the tracing interceptors (a traced worker) replays them too', async () => {
  const summary = await replayLiveHistories(
    env.client,
    { workflowIds: [orders.completed, orders.awaiting] },
    { replay: orderReplayOptions(undefined, { tracing: true }) },
  );
  assert.deepEqual(verdicts(summary.outcomes), { [orders.completed]: 'ok', [orders.awaiting]: 'ok' });
});

test('a workflow changed without patched() is reported as nondeterministic, with the error', async () => {
  const summary = await replayLiveHistories(
    env.client,
    { workflowIds: [orders.completed, orders.awaiting] },
    { replay: orderReplayOptions(require.resolve('../fixtures/replay-changed-workflow')) },
  );
  assert.deepEqual(verdicts(summary.outcomes), {
    [orders.completed]: 'nondeterminism',
    [orders.awaiting]: 'nondeterminism',
  });
  for (const o of summary.outcomes) assert.match(o.error ?? '', /^DeterminismViolationError: .+/);
  assert.equal(summary.nondeterminism, 2);
});

test('`replay` prints one line per history and a summary, and exits 1 when one fails', async () => {
  const run = promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(PROJECT_ROOT, 'src/main.ts'),
      'replay',
      '--workflow-id',
      orders.completed,
      '--workflow-id',
      'order-that-never-was',
    ],
    { cwd: PROJECT_ROOT, env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default' } },
  );
  const failure = await run.then(
    () => assert.fail('replay exited 0'),
    (err: { code: number; stdout: string }) => err,
  );
  assert.equal(failure.code, 1);
  assert.match(failure.stdout, new RegExp(`^ok +${orders.completed} \\(run `, 'm'));
  assert.match(failure.stdout, /^FAILED +order-that-never-was\n +could not download the history: /m);
  assert.match(failure.stdout, /^2 histories: 1 ok, 0 nondeterminism, 1 failed$/m);
});
