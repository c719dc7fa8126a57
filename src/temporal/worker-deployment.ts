/**
 * Worker Deployments (Temporal's worker versioning): every worker of the process is one version,
 * `WORKER_DEPLOYMENT_NAME` + `WORKER_BUILD_ID`, of a named deployment. New orders go to the
 * deployment's current version (or its ramping one), and an order stays pinned to the version
 * that started it. Rollout, ramp, promotion and rollback are `temporal worker deployment`
 * commands (docs/versioning.md). Not imported by workflow code: zod stays out of the bundle.
 */
import os from 'node:os';
import type { WorkflowService } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { WorkerDeploymentOptions } from '@temporalio/worker';
import { z } from 'zod';
import { boolFlag } from '../config';
import { GRPC_NOT_FOUND } from './connection';

// Stricter than the server (which refuses a '.' in a deployment name, a leading '__' and more
// than 480 characters): names that are safe unquoted in shells, URLs and `temporal` commands.
const deploymentName = z
  .string()
  .max(255, 'expected at most 255 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'expected letters, digits, - and _ (no dots), starting with a letter or digit');

const buildId = z
  .string()
  .max(255, 'expected at most 255 characters')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._+-]*$/,
    'expected letters, digits, . _ + - (e.g. a git SHA or an image tag), starting with a letter or digit',
  );

export const workerDeploymentSchema = z.object({
  /** The deployment every version of this worker belongs to; one per application, not per build. */
  WORKER_DEPLOYMENT_NAME: deploymentName.default('order-fulfillment'),
  /** The version of the code (git SHA, image tag): a new value per build that changes workflow code. */
  WORKER_BUILD_ID: buildId.default('local'),
  /**
   * When the deployment has no routing yet (first deploy), make this version current once it is
   * polling. It never changes a current or ramping version someone has set.
   */
  WORKER_DEPLOYMENT_BOOTSTRAP: boolFlag.default(true),
});
export type WorkerDeploymentConfig = z.output<typeof workerDeploymentSchema>;

export function deploymentVersion(config: WorkerDeploymentConfig): WorkerDeploymentVersion {
  return { deploymentName: config.WORKER_DEPLOYMENT_NAME, buildId: config.WORKER_BUILD_ID };
}

/**
 * Versioned workers, PINNED by default: an order awaiting approval for days runs to its end on the
 * code that started it, unless an operator moves it; a change that must reach running orders is a
 * patch (docs/versioning.md). Set here, not in the workflow: the server refuses a versioning
 * behavior sent by an unversioned worker (the tests, replays).
 */
export function workerDeploymentOptions(config: WorkerDeploymentConfig): WorkerDeploymentOptions {
  return { useWorkerVersioning: true, version: deploymentVersion(config), defaultVersioningBehavior: 'PINNED' };
}

/** The commands an operator runs when the bootstrap could not (or must not) promote. */
export function promoteCommand(version: WorkerDeploymentVersion, namespace = 'default'): string {
  return (
    `temporal worker deployment set-current-version --namespace ${namespace} ` +
    `--deployment-name ${version.deploymentName} --build-id ${version.buildId} --yes`
  );
}

/** Both the client's Connection and the worker's NativeConnection. */
export interface DeploymentConnection {
  workflowService: WorkflowService;
  withDeadline<R>(deadline: number | Date, fn: () => Promise<R>): Promise<R>;
  withAbortSignal<R>(signal: AbortSignal, fn: () => Promise<R>): Promise<R>;
}

export interface BootstrapOptions {
  log?: { info(fields: object, message: string): void };
  /** Total time to wait for the version to register and become current (default 30 s). */
  timeoutMs?: number;
  stepMs?: number;
  /** Every task queue the version's workers poll: promoted only once all are registered. */
  taskQueues?: readonly string[];
  identity?: string;
  /** Stops the wait (worker shutdown): resolves with `aborted`. */
  signal?: AbortSignal;
}

export type BootstrapOutcome =
  | { outcome: 'set' }
  /** Routing was already decided (by an operator, a pipeline or another worker): left alone. */
  | { outcome: 'kept'; current: string | null; ramping: string | null }
  | { outcome: 'aborted' };

type RoutingConfig = NonNullable<
  NonNullable<Awaited<ReturnType<WorkflowService['describeWorkerDeployment']>>['workerDeploymentInfo']>['routingConfig']
>;

/** `name:buildId`, as the `TemporalWorkerDeploymentVersion` search attribute spells it; null: none. */
export const canonicalVersion = (v: { deploymentName?: string | null; buildId?: string | null } | null | undefined) =>
  v?.buildId ? `${v.deploymentName}:${v.buildId}` : null;

/**
 * Whether anyone ever routed this deployment: a current or ramping version, or a change of
 * either (a rollback to unversioned workers leaves no version but a change time).
 */
function routingDecided(routing: RoutingConfig | null | undefined): boolean {
  if (!routing) return false;
  return Boolean(
    routing.currentDeploymentVersion?.buildId ||
    routing.rampingDeploymentVersion?.buildId ||
    routing.currentVersionChangedTime ||
    routing.rampingVersionChangedTime,
  );
}

/**
 * First deploy: versioned workers only receive tasks of their own version, and a deployment with
 * no current version sends new workflows to unversioned workers, so nothing would run them. Once
 * this version is registered (the server learns of it from the workers' polls), makes it current,
 * with the deployment's conflict token so a concurrent decision wins. Bounded: throws after
 * `timeoutMs` with the last error.
 */
export async function bootstrapCurrentVersion(
  connection: DeploymentConnection,
  namespace: string,
  version: WorkerDeploymentVersion,
  opts: BootstrapOptions = {},
): Promise<BootstrapOutcome> {
  const { timeoutMs = 30_000, stepMs = 250, taskQueues = [], signal } = opts;
  const identity = opts.identity ?? `worker bootstrap ${process.pid}@${os.hostname()}`;
  const service = connection.workflowService;
  const deadline = Date.now() + timeoutMs;
  // Bounded by the deadline, and cancelled by a shutdown.
  const call = <R>(fn: () => Promise<R>) =>
    signal
      ? connection.withAbortSignal(signal, () => connection.withDeadline(deadline, fn))
      : connection.withDeadline(deadline, fn);
  let waitingFor = 'the deployment to be registered';
  let lastError: unknown;

  while (!signal?.aborted) {
    try {
      const described = await call(() =>
        service.describeWorkerDeployment({ namespace, deploymentName: version.deploymentName }),
      );
      const info = described.workerDeploymentInfo;
      const routing = info?.routingConfig;
      if (routingDecided(routing)) {
        const current = canonicalVersion(routing?.currentDeploymentVersion);
        const ramping = canonicalVersion(routing?.rampingDeploymentVersion);
        opts.log?.info({ current, ramping }, 'worker deployment already routed; bootstrap left it alone');
        return { outcome: 'kept', current, ramping };
      }
      const registered = info?.versionSummaries?.some((s) => s.deploymentVersion?.buildId === version.buildId);
      const missing = registered ? await call(() => missingTaskQueues(service, namespace, version, taskQueues)) : [];
      if (!registered) waitingFor = 'this version to be registered';
      else if (missing.length > 0) waitingFor = `task queues to be polled: ${missing.join(', ')}`;
      else {
        await call(() =>
          service.setWorkerDeploymentCurrentVersion({
            namespace,
            deploymentName: version.deploymentName,
            buildId: version.buildId,
            conflictToken: described.conflictToken,
            identity,
          }),
        );
        opts.log?.info(
          { version: canonicalVersion(version) },
          'worker deployment had no current version: made this one current',
        );
        return { outcome: 'set' };
      }
    } catch (err) {
      // NOT_FOUND until the first poll registers the deployment; a conflict means someone else
      // routed it meanwhile, which the next describe reports.
      if ((err as { code?: number }).code !== GRPC_NOT_FOUND) lastError = err;
    }
    if (signal?.aborted) break;
    if (Date.now() + stepMs > deadline) {
      const why = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`worker deployment bootstrap gave up after ${timeoutMs} ms waiting for ${waitingFor}${why}`);
    }
    await sleep(stepMs, signal);
  }
  return { outcome: 'aborted' };
}

async function missingTaskQueues(
  service: WorkflowService,
  namespace: string,
  version: WorkerDeploymentVersion,
  taskQueues: readonly string[],
): Promise<string[]> {
  if (taskQueues.length === 0) return [];
  const described = await service.describeWorkerDeploymentVersion({ namespace, deploymentVersion: version });
  const polled = new Set(described.workerDeploymentVersionInfo?.taskQueueInfos?.map((q) => q.name));
  return taskQueues.filter((q) => !polled.has(q));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
