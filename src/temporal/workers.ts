/**
 * The worker of one order task queue: the workflows and every activity, each activity inside its
 * downstream's bulkhead (`src/activities/resilience/bulkheads.ts`, docs/resilience.md). Shared by
 * the worker process, the tests and `test/replay/record-history.ts`, so all run the same set-up.
 */
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  type SerializableSpan,
} from '@temporalio/interceptors-opentelemetry';
import { Worker, type NativeConnection, type WorkerDeploymentOptions, type WorkerOptions } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import { DownstreamBulkheads } from '../activities/resilience/bulkheads';
import type { Tracing } from '../tracing';
import type { Downstream } from '../workflows/downstreams';

/** The workflow interceptors of tracing; a prebuilt `workflowBundle` must be bundled with it. */
export const WORKFLOW_TRACING_MODULE = require.resolve('./workflow-interceptors');

export interface OrderWorkersOptions {
  connection: NativeConnection;
  namespace?: string;
  /** The order task queue: its workflows, and the activities they schedule. */
  taskQueue: string;
  workflowsPath?: string;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The activities: the circuit breakers inside them are per process. */
  activities: object;
  /** The bulkheads; built from `concurrency` when omitted. */
  bulkheads?: DownstreamBulkheads;
  /** Calls running at once per downstream (its bulkhead size), when `bulkheads` is omitted. */
  concurrency?: Partial<Record<Downstream, number>>;
  /** Worker options on top (sinks, heartbeat throttling, shutdown grace…). */
  common?: Partial<WorkerOptions>;
  /** From `startTracing('worker')`: spans for workflows and activities. Omitted (tracing off): none. */
  tracing?: Pick<Tracing, 'spanProcessor' | 'resource'> | undefined;
  /**
   * The deployment version of the worker (`src/temporal/worker-deployment.ts`): a pinned order's
   * activities run on its version's code. Omitted: unversioned (the time-skipping test server has
   * no deployments).
   */
  deployment?: WorkerDeploymentOptions | undefined;
}

/**
 * Adds the OpenTelemetry interceptors to `common`: RunWorkflow/StartActivity spans inside the
 * sandbox, exported through a sink (not during replay) to the process's span processor, and
 * RunActivity spans around each activity, the active span of its HTTP calls.
 */
function withTracing(
  common: Partial<WorkerOptions> | undefined,
  tracing: NonNullable<OrderWorkersOptions['tracing']>,
): Partial<WorkerOptions> {
  return {
    ...common,
    interceptors: {
      ...common?.interceptors,
      workflowModules: [...(common?.interceptors?.workflowModules ?? []), WORKFLOW_TRACING_MODULE],
      activity: [
        ...(common?.interceptors?.activity ?? []),
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { ...common?.sinks, exporter: workflowSpanSink(tracing) },
  };
}

/**
 * The SDK's workflow span sink copies the whole WorkflowInfo onto every span: memo, search
 * attributes (a customer id), functions. Only its plain values (ids, type, queue, attempt…) go out.
 */
function workflowSpanSink(tracing: NonNullable<OrderWorkersOptions['tracing']>) {
  const sink = makeWorkflowExporter(tracing.spanProcessor, tracing.resource);
  const plain = (info: WorkflowInfo) =>
    Object.fromEntries(
      Object.entries(info).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v)),
    ) as unknown as WorkflowInfo;
  return { export: { fn: (info: WorkflowInfo, spans: SerializableSpan[]) => sink.export.fn(plain(info), spans) } };
}

export async function createOrderWorkers(opts: OrderWorkersOptions): Promise<Worker[]> {
  const common = opts.tracing ? withTracing(opts.common, opts.tracing) : opts.common;
  const bulkheads = opts.bulkheads ?? new DownstreamBulkheads({ limits: opts.concurrency ?? {} });
  const worker = await Worker.create({
    connection: opts.connection,
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    ...(opts.deployment ? { workerDeploymentOptions: opts.deployment } : {}),
    ...common,
    interceptors: {
      ...common?.interceptors,
      // First: a call waiting for its turn is not yet running (no tracing span, no attempt).
      activity: [bulkheads.interceptor, ...(common?.interceptors?.activity ?? [])],
    },
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: opts.workflowsPath }),
    activities: opts.activities,
    // Room for every bulkhead full at once: a downstream that hangs never takes another's slot.
    maxConcurrentActivityTaskExecutions: bulkheads.activitySlots,
  });
  return [worker];
}

/** Runs every worker until `fn` settles (or one of them fails), then shuts them all down. */
export async function runWorkersUntil<T>(workers: Worker[], fn: () => Promise<T>): Promise<T> {
  const runs = workers.map((w) => w.run());
  const stopped = runs.map((run) =>
    run.then(() => Promise.reject(new Error('a worker stopped before the work was done'))),
  );
  try {
    return await Promise.race([fn(), ...stopped]);
  } finally {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(runs);
    void Promise.allSettled(stopped);
  }
}

/** Runs every worker until all stop (a shutdown signal, or one fails: then all are stopped). */
export async function runWorkers(workers: Worker[]): Promise<void> {
  const runs = workers.map((w) =>
    w.run().catch((err: unknown) => {
      for (const other of workers) if (other.getState() === 'RUNNING') other.shutdown();
      throw err;
    }),
  );
  await Promise.all(runs);
}
