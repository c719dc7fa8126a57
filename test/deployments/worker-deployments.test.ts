/**
 * Worker Deployments on a real dev server (docs/versioning.md): two versions of the worker set
 * side by side on one task queue, the first-deploy bootstrap, orders awaiting approval pinned to
 * the version that started them, a 50 % ramp, promotion and rollback through the `temporal` CLI.
 * The steps build on each other and run in order.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bootstrapCurrentVersion } from '../../src/temporal/worker-deployment';
import {
  decideApprovalUpdate,
  ORDER_WORKFLOW_TYPE,
  orderSearchAttributes,
  type OrderState,
} from '../../src/workflows/definitions';
import { OrderStatus } from '../../src/workflows/order-status';
import { orderStartMetadata, type OrderInput } from '../../src/workflows/order-types';
import { orderInput, waitForState, type OrderHandle } from '../saga/harness';
import {
  createDeploymentEnv,
  deploymentCli,
  drainageStatus,
  eventually,
  startVersion,
  stopVersions,
  taskBuildIds,
  versioningOf,
  waitForRouting,
  waitForTaskQueues,
  type VersionWorkers,
} from './harness';

const deploymentName = `orders-${process.pid}`;
const taskQueue = `deployments-${process.pid}`;
const v1 = { deploymentName, buildId: 'v1' };
const v2 = { deploymentName, buildId: 'v2' };

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
const running: VersionWorkers[] = [];
const workersOf = (buildId: string) => running.find((v) => v.buildId === buildId)!;
/** Orders awaiting approval, by the version that started them. */
const waiting = new Map<string, OrderHandle>();

before(async () => {
  [env, bundle] = await Promise.all([
    createDeploymentEnv(),
    bundleWorkflowCode({
      workflowsPath: require.resolve('../../src/workflows/order-fulfillment'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    }),
  ]);
});
after(async () => {
  await stopVersions(running);
  await env?.teardown();
});

async function start(input: OrderInput): Promise<OrderHandle> {
  return env.client.workflow.start<(input: OrderInput) => Promise<OrderState>>(ORDER_WORKFLOW_TYPE, {
    args: [input],
    taskQueue,
    workflowId: input.orderId,
    typedSearchAttributes: orderSearchAttributes(input),
    ...orderStartMetadata(input),
  });
}

/** A routing command of the rollout, as an operator runs it (`--yes`: no prompt). */
const route = (command: string, buildId: string, ...flags: string[]) =>
  deploymentCli(env, [command, '--deployment-name', deploymentName, '--build-id', buildId, ...flags, '--yes']);

/** Total 5 000 above the threshold 1 000: the order waits for a human. */
const bigOrder = () => orderInput({ policy: { approvalThreshold: 1_000 } });
const awaitingApproval = (s: OrderState) => s.status === OrderStatus.AWAITING_APPROVAL;

/**
 * Runs small orders to completion; returns the version each ran on, having checked that every
 * workflow task and the payment capture ran on the version the order is pinned to.
 */
async function runOrders(count: number): Promise<string[]> {
  const handles = await Promise.all(Array.from({ length: count }, () => start(orderInput())));
  return Promise.all(handles.map(async (handle) => assertRanOn(handle, (await handle.result()).status)));
}

async function assertRanOn(handle: OrderHandle, status: string): Promise<string> {
  assert.equal(status, OrderStatus.COMPLETED);
  const { behavior, buildId } = await versioningOf(handle);
  assert.equal(behavior, 'PINNED', handle.workflowId);
  assert.ok(buildId, `${handle.workflowId} has no version`);
  assert.deepEqual(new Set(await taskBuildIds(handle)), new Set([buildId]), `${handle.workflowId} changed version`);
  assert.ok(workersOf(buildId).captured(handle.workflowId), `${buildId}'s activities charged ${handle.workflowId}`);
  return buildId;
}

async function startAwaitingApproval(buildId: string): Promise<void> {
  const handle = await start(bigOrder());
  await waitForState(handle, awaitingApproval);
  assert.deepEqual(await versioningOf(handle), { behavior: 'PINNED', buildId });
  waiting.set(buildId, handle);
}

async function approve(buildId: string): Promise<void> {
  const handle = waiting.get(buildId)!;
  await handle.executeUpdate(decideApprovalUpdate, { args: [{ decision: 'approve', approver: 'alice' }] });
  assert.equal(await assertRanOn(handle, (await handle.result()).status), buildId);
}

test("bootstrap: the first version becomes current; the next version's bootstrap leaves it so", async () => {
  running.push(await startVersion(env, bundle, { ...v1, taskQueue }));
  const options = { taskQueues: [taskQueue], timeoutMs: 30_000 };
  assert.deepEqual(await bootstrapCurrentVersion(env.connection, 'default', v1, options), { outcome: 'set' });
  await waitForRouting(env, deploymentName, { current: 'v1' });
  assert.deepEqual(await runOrders(2), ['v1', 'v1']);

  // v2's bootstrap finds v1 current and leaves it so.
  running.push(await startVersion(env, bundle, { ...v2, taskQueue }));
  const again = await bootstrapCurrentVersion(env.connection, 'default', v2, options);
  assert.deepEqual(again, { outcome: 'kept', current: `${deploymentName}:v1`, ramping: null });
  await waitForTaskQueues(env, v2, taskQueue);
  await startAwaitingApproval('v1');
});

test('ramp: with v2 at 50 %, new orders split between the versions and each stays on its own', async () => {
  await route('set-ramping-version', 'v2', '--percentage', '50');
  await waitForRouting(env, deploymentName, { current: 'v1', ramping: 'v2' });
  const versions = await runOrders(20);
  const onV1 = versions.filter((v) => v === 'v1').length;
  assert.ok(onV1 > 0 && onV1 < 20, `expected both versions to get orders, v1 got ${onV1} of 20`);
  assert.deepEqual(await versioningOf(waiting.get('v1')!), { behavior: 'PINNED', buildId: 'v1' });
});

test('promotion: v2 current takes every new order; the order waiting on v1 stays there and completes on v1', async () => {
  await route('set-current-version', 'v2');
  await waitForRouting(env, deploymentName, { current: 'v2' });
  assert.deepEqual(await runOrders(4), ['v2', 'v2', 'v2', 'v2']);
  await startAwaitingApproval('v2');
  assert.deepEqual(await versioningOf(waiting.get('v1')!), { behavior: 'PINNED', buildId: 'v1' });
  await approve('v1');
});

test('rollback: v1 current again takes new orders; the order waiting on v2 still completes on v2', async () => {
  await route('set-current-version', 'v1');
  await waitForRouting(env, deploymentName, { current: 'v1' });
  assert.deepEqual(await runOrders(4), ['v1', 'v1', 'v1', 'v1']);
  assert.equal(await drainageStatus(env, v2), 'draining', 'v2 still has an order pinned to it');
  await approve('v2');
  // Its last pinned order closed: v2's workers may stop now.
  await eventually(
    'v2 drained',
    async () => ((await drainageStatus(env, v2)) === 'drained' ? true : undefined),
    30_000,
  );
  assert.equal(await drainageStatus(env, v1), null, 'the current version does not drain');
});
