/**
 * Worker Deployments on a real dev server: worker sets of one version each (the production set,
 * with in-memory fakes of their own, so a call shows which version's activities ran it), the
 * `temporal` CLI for routing, and what the server says about a version and an order.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { loadConfig } from '../../src/config';
import { executableOption, resolveBinary, TEMPORAL_CLI } from '../../src/temporal/binaries';
import { dynamicConfigArgs } from '../../src/temporal/dev-server';
import { workerDeploymentOptions, workerDeploymentSchema } from '../../src/temporal/worker-deployment';
import { createOrderWorkers, runWorkers } from '../../src/temporal/workers';
import { ORDER_SEARCH_ATTRIBUTES } from '../../src/workflows/definitions';
import { FakePorts } from '../harness/fake-ports';
import { eventually } from '../harness/temporal';
import { TEST_BACKOFF } from '../saga/harness';

const execFileAsync = promisify(execFile);

export { eventually };

/**
 * A dev server like createLocalEnv's (Worker Deployments are on by default), whose versions
 * report "drained" within seconds of their last pinned order closing instead of minutes.
 */
export async function createDeploymentEnv(): Promise<TestWorkflowEnvironment> {
  const executable = executableOption(await resolveBinary(TEMPORAL_CLI));
  const fast = (key: string) => ['--dynamic-config-value', `matching.wv.${key}="1s"`];
  return TestWorkflowEnvironment.createLocal({
    server: {
      ...(executable ? { executable } : {}),
      searchAttributes: [...ORDER_SEARCH_ATTRIBUTES],
      ip: '127.0.0.1',
      extraArgs: [
        ...dynamicConfigArgs(),
        ...fast('VersionDrainageStatusRefreshInterval'),
        ...fast('VersionDrainageStatusVisibilityGracePeriod'),
      ],
    },
  });
}

export interface VersionWorkers {
  buildId: string;
  fakes: FakePorts;
  workers: Worker[];
  running: Promise<void>;
  /** Whether this version's activities ran `orderId`'s payment capture. */
  captured(orderId: string): boolean;
}

export async function startVersion(
  env: TestWorkflowEnvironment,
  bundle: WorkflowBundleWithSourceMap,
  { deploymentName, buildId, taskQueue }: { deploymentName: string; buildId: string; taskQueue: string },
): Promise<VersionWorkers> {
  const config = loadConfig(workerDeploymentSchema, {
    WORKER_DEPLOYMENT_NAME: deploymentName,
    WORKER_BUILD_ID: buildId,
  });
  const fakes = new FakePorts({ stock: { 'SKU-1': 1_000, 'SKU-2': 1_000 } });
  const workers = await createOrderWorkers({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: createActivities({ ports: fakes.ports, alerts: fakes.alerts.port, backoff: TEST_BACKOFF }),
    deployment: workerDeploymentOptions(config),
  });
  const running = runWorkers(workers);
  running.catch(() => {}); // awaited at the end of the test
  const captured = (orderId: string) =>
    fakes.faults.callsOf('payments.capture').some((c) => c.key.startsWith(`${orderId}:`));
  return { buildId, fakes, workers, running, captured };
}

export async function stopVersions(versions: VersionWorkers[]): Promise<void> {
  for (const v of versions) for (const w of v.workers) if (w.getState() === 'RUNNING') w.shutdown();
  await Promise.all(versions.map((v) => v.running));
}

/** `temporal worker deployment <args>` against the test server. */
export async function deploymentCli(env: TestWorkflowEnvironment, args: string[]): Promise<string> {
  const cli = await resolveBinary(TEMPORAL_CLI);
  assert.ok(cli, 'the Temporal CLI is needed');
  // The CLI reads TEMPORAL_* and profiles too: only the flags given here count.
  const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_')));
  const connection = ['--address', env.address, '--namespace', env.namespace ?? 'default'];
  const { stdout } = await execFileAsync(cli.path, ['worker', 'deployment', ...args, ...connection], {
    env: childEnv,
    timeout: 30_000,
  });
  return stdout;
}

/** `temporal.api.enums.v1.RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_COMPLETED`. */
const ROUTING_UPDATE_COMPLETED = 2;
/** `temporal.api.enums.v1.VersioningBehavior`, by number. */
const VERSIONING_BEHAVIOR = ['UNSPECIFIED', 'PINNED', 'AUTO_UPGRADE'] as const;

/** Waits until the deployment routes new workflows as expected, and has told every task queue. */
export async function waitForRouting(
  env: TestWorkflowEnvironment,
  deploymentName: string,
  expected: { current: string | null; ramping?: string | null },
) {
  return eventually(`routing ${JSON.stringify(expected)}`, async () => {
    const { workerDeploymentInfo: info } = await env.connection.workflowService.describeWorkerDeployment({
      namespace: env.namespace ?? 'default',
      deploymentName,
    });
    const routing = info?.routingConfig;
    const current = routing?.currentDeploymentVersion?.buildId || null;
    const ramping = routing?.rampingDeploymentVersion?.buildId || null;
    const settled = Number(info?.routingConfigUpdateState) === ROUTING_UPDATE_COMPLETED;
    return settled && current === expected.current && ramping === (expected.ramping ?? null) ? routing : undefined;
  });
}

/** Waits until the order queue is polled in the version (the CLI refuses otherwise). */
export async function waitForTaskQueues(env: TestWorkflowEnvironment, version: VersionRef, taskQueue: string) {
  await eventually(`${version.buildId} polling the order queue`, async () => {
    const described = await env.connection.workflowService
      .describeWorkerDeploymentVersion({ namespace: env.namespace ?? 'default', deploymentVersion: version })
      .catch(() => null);
    const polled = new Set(described?.workerDeploymentVersionInfo?.taskQueueInfos?.map((q) => q.name));
    return polled.has(taskQueue) ? true : undefined;
  });
}

export interface VersionRef {
  deploymentName: string;
  buildId: string;
}

/** `DrainageStatus` of `temporal worker deployment describe-version`: draining, drained, or none. */
export async function drainageStatus(env: TestWorkflowEnvironment, version: VersionRef): Promise<string | null> {
  const args = ['describe-version', '--deployment-name', version.deploymentName, '--build-id', version.buildId];
  return /^\s*DrainageStatus\s+(\S+)/m.exec(await deploymentCli(env, args))?.[1] ?? null;
}

/** The order's versioning as the server describes it. */
export async function versioningOf(handle: WorkflowHandle) {
  const { raw } = await handle.describe();
  const info = raw.workflowExecutionInfo?.versioningInfo;
  return {
    behavior: VERSIONING_BEHAVIOR[Number(info?.behavior ?? 0)],
    buildId: info?.deploymentVersion?.buildId ?? null,
  };
}

/** The build id of the worker that completed each workflow task, in order. */
export async function taskBuildIds(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const completed = e.workflowTaskCompletedEventAttributes;
    return completed ? [completed.deploymentVersion?.buildId ?? '(unversioned)'] : [];
  });
}
