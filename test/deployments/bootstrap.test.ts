/**
 * The deployment configuration, and the first-deploy bootstrap's decisions against a scripted
 * workflow service (the real server: worker-deployments.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkflowService } from '@temporalio/client';
import { ConfigError, loadConfig } from '../../src/config';
import {
  bootstrapCurrentVersion,
  workerDeploymentOptions,
  workerDeploymentSchema,
  type DeploymentConnection,
} from '../../src/temporal/worker-deployment';

test('defaults: deployment order-fulfillment, build local, bootstrap on; versioned and PINNED', () => {
  const config = loadConfig(workerDeploymentSchema, {});
  assert.deepEqual(config, {
    WORKER_DEPLOYMENT_NAME: 'order-fulfillment',
    WORKER_BUILD_ID: 'local',
    WORKER_DEPLOYMENT_BOOTSTRAP: true,
  });
  assert.deepEqual(workerDeploymentOptions(config), {
    useWorkerVersioning: true,
    version: { deploymentName: 'order-fulfillment', buildId: 'local' },
    defaultVersioningBehavior: 'PINNED',
  });
  const sha = loadConfig(workerDeploymentSchema, {
    WORKER_BUILD_ID: '1.4.0+3f2c1ab',
    WORKER_DEPLOYMENT_BOOTSTRAP: 'no',
  });
  assert.equal(sha.WORKER_BUILD_ID, '1.4.0+3f2c1ab');
  assert.equal(sha.WORKER_DEPLOYMENT_BOOTSTRAP, false);
});

test('names Temporal refuses, or a shell would split, are refused naming the variable', () => {
  const refused = (env: Record<string, string>) =>
    assert.throws(
      () => loadConfig(workerDeploymentSchema, env),
      (err: unknown) => err instanceof ConfigError && err.issues[0]!.startsWith(Object.keys(env)[0]!),
    );
  refused({ WORKER_DEPLOYMENT_NAME: 'orders.eu' }); // the server refuses a '.'
  refused({ WORKER_DEPLOYMENT_NAME: '__orders' }); // and a leading '__'
  refused({ WORKER_BUILD_ID: '__v1' });
  refused({ WORKER_BUILD_ID: 'main/abc' });
  refused({ WORKER_BUILD_ID: 'v 1' });
  refused({ WORKER_BUILD_ID: 'x'.repeat(256) });
  refused({ WORKER_DEPLOYMENT_BOOTSTRAP: 'maybe' });
});

/** A DescribeWorkerDeploymentResponse, as plain data. */
type Describe = object;
const notFound = Object.assign(new Error('no Worker Deployment found'), { code: 5 });
const conflict = Object.assign(new Error('conflict token mismatch'), { code: 9 });
const version = { deploymentName: 'orders', buildId: 'v2' };
const token = (n: number) => Buffer.from([n]);

const settle = (answer: object) => (answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer));

/** A workflow service answering `describes` in turn (the last one repeats) and `sets` likewise. */
function scripted(describes: (Describe | Error)[], sets: (Error | null)[] = [null]) {
  const calls: { set: Record<string, unknown>[]; describes: number } = { set: [], describes: 0 };
  const next = <T>(list: T[], i: number) => list[Math.min(i, list.length - 1)]!;
  const workflowService = {
    describeWorkerDeployment: () => settle(next(describes, calls.describes++)),
    setWorkerDeploymentCurrentVersion: (req: Record<string, unknown>) =>
      settle(next(sets, calls.set.push(req) - 1) ?? {}),
    describeWorkerDeploymentVersion: () =>
      settle({ workerDeploymentVersionInfo: { taskQueueInfos: [{ name: 'orders' }, { name: 'orders.payments' }] } }),
  } as unknown as WorkflowService;
  const connection: DeploymentConnection = {
    workflowService,
    withDeadline: (_d, fn) => fn(),
    withAbortSignal: (_s, fn) => fn(),
  };
  return { connection, calls };
}

const registered = (n: number, routing: object = { currentVersion: '__unversioned__' }): Describe => ({
  conflictToken: token(n),
  workerDeploymentInfo: { versionSummaries: [{ deploymentVersion: version }], routingConfig: routing },
});
const unregistered: Describe = { conflictToken: token(0), workerDeploymentInfo: { versionSummaries: [] } };
const fast = { stepMs: 1, timeoutMs: 2_000 };

test('no routing yet: waits for the version to register, then sets it with the conflict token it read', async () => {
  const { connection, calls } = scripted([notFound, unregistered, registered(7)]);
  const result = await bootstrapCurrentVersion(connection, 'ns', version, {
    ...fast,
    taskQueues: ['orders', 'orders.payments'],
  });
  assert.deepEqual(result, { outcome: 'set' });
  assert.equal(calls.set.length, 1);
  assert.deepEqual(calls.set[0]!.conflictToken, token(7));
  assert.equal(calls.set[0]!.buildId, 'v2');
});

test('a queue not polled yet holds the promotion back', async () => {
  const { connection, calls } = scripted([registered(1)]);
  await assert.rejects(
    bootstrapCurrentVersion(connection, 'ns', version, { stepMs: 1, timeoutMs: 50, taskQueues: ['orders.inventory'] }),
    /task queues to be polled: orders.inventory/,
  );
  assert.equal(calls.set.length, 0);
});

test('a current version, a ramp, or a rollback to unversioned is never changed', async () => {
  const v1 = { deploymentName: 'orders', buildId: 'v1' };
  const routings = [
    { currentDeploymentVersion: v1 },
    { rampingDeploymentVersion: v1 },
    { currentVersion: '__unversioned__', currentVersionChangedTime: { seconds: 1 } },
  ];
  for (const routing of routings) {
    const { connection, calls } = scripted([registered(1, routing)]);
    const result = await bootstrapCurrentVersion(connection, 'ns', version, fast);
    assert.equal(result.outcome, 'kept', JSON.stringify(routing));
    assert.equal(calls.set.length, 0);
  }
});

test('someone else routing it first (a conflict) is fine: the next look shows their choice', async () => {
  const theirs = registered(2, { currentDeploymentVersion: { deploymentName: 'orders', buildId: 'v3' } });
  const { connection } = scripted([registered(1), theirs], [conflict]);
  const result = await bootstrapCurrentVersion(connection, 'ns', version, fast);
  assert.deepEqual(result, { outcome: 'kept', current: 'orders:v3', ramping: null });
});

test('bounded: a version that never registers gives up with what it waited for; an abort ends quietly', async () => {
  const { connection } = scripted([notFound]);
  await assert.rejects(
    bootstrapCurrentVersion(connection, 'ns', version, { stepMs: 5, timeoutMs: 60 }),
    /gave up after 60 ms waiting for the deployment to be registered/,
  );
  const stop = new AbortController();
  const waiting = bootstrapCurrentVersion(connection, 'ns', version, { signal: stop.signal, timeoutMs: 60_000 });
  stop.abort();
  assert.deepEqual(await waiting, { outcome: 'aborted' });
});
