/**
 * The worker process: the order workflows and their activities on the order task queue, each
 * downstream's calls inside its own bulkhead (a concurrency limit), all sharing one set of
 * circuit breakers in front of the HTTP clients (`src/activities/resilience`). An open
 * breaker probes its downstream's /healthz; when the downstream is back (a healthy probe, or the
 * breaker closing), the activities waiting out a retry delay for it are run at once through
 * Temporal's ResetActivity (`src/temporal/backoff-release.ts`).
 * Logs are JSON (pino), the SDK's and the native core's included. With WORKER_METRICS_PORT set,
 * 127.0.0.1:<port>/metrics serves the breaker metrics, the order counts from visibility and the
 * SDK's own metrics (`src/temporal/core-metrics.ts`), as one scrape target. Shuts down gracefully
 * on SIGINT/SIGTERM (the SDK's Runtime handles the signals), letting in-flight activities finish
 * within the grace period. The worker is one version of a Worker Deployment (WORKER_DEPLOYMENT_NAME,
 * WORKER_BUILD_ID), made current on a first deploy (docs/versioning.md).
 */
import { Client } from '@temporalio/client';
import type { Logger as SdkLogger, LogLevel, LogMetadata } from '@temporalio/common';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { NativeConnection } from '@temporalio/worker';
import { loadConfig, temporalSchema, type TemporalConfig } from './config';
import { createLogger } from './logger';
import { connectWorker } from './temporal/connection';
import { createActivities } from './activities';
import { createHttpPorts, createWebhookAlerts, downstreamSchema, type DownstreamConfig } from './activities/clients';
import { DownstreamBulkheads } from './activities/resilience/bulkheads';
import { DownstreamBreakers, withCircuitBreakers } from './activities/resilience/circuit-breakers';
import { BREAKER_NAMES, loadResilienceConfig, type ResilienceConfig } from './activities/resilience/config';
import { healthUrls } from './activities/resilience/health-probes';
import {
  createBackoffReleaseMetrics,
  createBreakerMetrics,
  registerBulkheadMetrics,
  serveMetrics,
} from './activities/resilience/metrics';
import { BackoffRelease } from './temporal/backoff-release';
import { installRuntime, workerExposition } from './temporal/core-metrics';
import { createOrdersByStatusMetrics, visibilityCount, type CountWorkflows } from './temporal/orders-by-status';
import {
  bootstrapCurrentVersion,
  canonicalVersion,
  deploymentVersion,
  promoteCommand,
  workerDeploymentOptions,
  workerDeploymentSchema,
  type WorkerDeploymentConfig,
} from './temporal/worker-deployment';
import { createOrderWorkers, runWorkers } from './temporal/workers';
import { startTracing } from './tracing';

const PINO_LEVEL = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
} as const satisfies Record<LogLevel, string>;

/** The SDK's logger interface over pino: one JSON line per SDK message, its metadata as fields. */
export function sdkLoggerFromPino(pino: Logger): SdkLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => pino[PINO_LEVEL[level]]({ ...meta }, message);
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/**
 * The activities as production runs them: HTTP clients behind one circuit breaker per
 * downstream, SLA alerts to the webhook. Tests build the same thing against local services.
 */
export function createProductionActivities(
  config: { downstream: DownstreamConfig; resilience: ResilienceConfig; webUiUrl: string },
  breakers: DownstreamBreakers,
) {
  return createActivities({
    ports: withCircuitBreakers(createHttpPorts(config.downstream), breakers),
    logger: createLogger('activities'),
    alerts: createWebhookAlerts({
      url: config.resilience.slaAlertWebhookUrl,
      timeoutMs: config.resilience.slaAlertTimeoutMs,
    }),
    webUiUrl: config.webUiUrl,
  });
}

/** The worker's metrics endpoint: prom-client's registry (breakers, order counts) and core's metrics. */
export async function serveWorkerMetrics(
  registry: Registry,
  port: number,
  coreUrl: string,
  { count, log }: { count: CountWorkflows; log: Logger },
) {
  createOrdersByStatusMetrics(registry, {
    count,
    onError: (err) => log.warn({ err }, 'could not count orders by status; orders_by_status keeps its last values'),
  });
  const coreErrors = new Counter({
    name: 'worker_core_metrics_errors_total',
    help: "Scrapes of the Temporal SDK core's metrics that failed (the worker's own metrics were served anyway).",
    registers: [registry],
  });
  let warnedDropped = false;
  return serveMetrics(registry, port, () =>
    workerExposition(registry, {
      coreUrl,
      errors: coreErrors,
      onError: (err) => log.warn({ err }, "could not read the Temporal SDK core's metrics"),
      onDropped: (names) => {
        if (!warnedDropped) log.warn({ names }, "SDK core metrics left out: their names are the worker's own");
        warnedDropped = true;
      },
    }),
  );
}

export async function runWorker(): Promise<void> {
  const temporal = loadConfig(temporalSchema);
  const downstream = loadConfig(downstreamSchema);
  const resilience = loadResilienceConfig();
  const deployment = loadConfig(workerDeploymentSchema);
  const log = createLogger('worker');
  // Before anything touches the Runtime: the SDK (and, forwarded, the native core) log through pino,
  // and core exports its metrics when the worker serves metrics.
  const coreMetricsUrl = await installRuntime(
    {
      logger: sdkLoggerFromPino(createLogger('temporal-sdk')),
      telemetryOptions: { logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} } },
    },
    resilience.metricsPort !== undefined,
  );

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Aborted when the workers have stopped: ends the breakers' probes and any backoff release.
  const stopping = new AbortController();
  const breakers = new DownstreamBreakers(
    resilience.breakers,
    { logger: createLogger('circuit-breakers'), metrics: createBreakerMetrics(registry, BREAKER_NAMES) },
    { urls: healthUrls(downstream), timeoutMs: resilience.probeTimeoutMs, signal: stopping.signal },
  );

  // Off unless OTEL_* names an exporter (src/tracing.ts).
  const tracing = startTracing('worker');
  const connection = await connectWorker(temporal);
  const client = new Client({ connection, namespace: temporal.TEMPORAL_NAMESPACE });
  const release = new BackoffRelease({
    client,
    taskQueue: temporal.TEMPORAL_TASK_QUEUE,
    logger: createLogger('backoff-release'),
    metrics: createBackoffReleaseMetrics(registry, BREAKER_NAMES),
    signal: stopping.signal,
  });
  breakers.onRecovered(release.request);
  const bulkheads = new DownstreamBulkheads({ limits: resilience.bulkheads });
  registerBulkheadMetrics(registry, bulkheads);
  const metrics =
    resilience.metricsPort === undefined || coreMetricsUrl === undefined
      ? null
      : await serveWorkerMetrics(registry, resilience.metricsPort, coreMetricsUrl, {
          count: visibilityCount(client),
          log,
        });
  if (metrics) log.info({ url: `http://127.0.0.1:${metrics.port}/metrics` }, 'serving worker metrics');
  const workers = await createOrderWorkers({
    connection,
    namespace: temporal.TEMPORAL_NAMESPACE,
    taskQueue: temporal.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('./workflows/order-fulfillment'),
    activities: createProductionActivities({ downstream, resilience, webUiUrl: temporal.TEMPORAL_UI_URL }, breakers),
    bulkheads,
    common: { shutdownGraceTime: '10s' },
    tracing,
    deployment: workerDeploymentOptions(deployment),
  });
  log.info(
    {
      taskQueue: temporal.TEMPORAL_TASK_QUEUE,
      namespace: temporal.TEMPORAL_NAMESPACE,
      deploymentName: deployment.WORKER_DEPLOYMENT_NAME,
      buildId: deployment.WORKER_BUILD_ID,
      bulkheads: resilience.bulkheads,
      breakers: resilience.breakers,
    },
    'worker started',
  );
  const stopBootstrap = new AbortController();
  const bootstrap = deployment.WORKER_DEPLOYMENT_BOOTSTRAP
    ? bootstrapFirstVersion(connection, temporal, deployment, stopBootstrap.signal, log)
    : Promise.resolve();
  try {
    await runWorkers(workers);
  } finally {
    stopping.abort();
    stopBootstrap.abort();
    await bootstrap;
    await release.settled();
    await connection.close();
    await metrics?.close();
    await tracing?.shutdown(); // exports the last spans
    log.info('worker stopped');
  }
}

/**
 * Beside the running workers (the server learns of the version from their polls). A failure never
 * stops the worker: it keeps polling, and an operator can promote the version by hand.
 */
async function bootstrapFirstVersion(
  connection: NativeConnection,
  temporal: TemporalConfig,
  deployment: WorkerDeploymentConfig,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const version = deploymentVersion(deployment);
  const command = promoteCommand(version, temporal.TEMPORAL_NAMESPACE);
  try {
    const result = await bootstrapCurrentVersion(connection, temporal.TEMPORAL_NAMESPACE, version, {
      log,
      signal,
      taskQueues: [temporal.TEMPORAL_TASK_QUEUE],
    });
    const mine = canonicalVersion(version);
    if (result.outcome === 'kept' && result.current !== mine && result.ramping !== mine) {
      log.info({ command }, 'this version gets new orders once ramped or made current (docs/versioning.md)');
    }
  } catch (err) {
    log.warn(
      { err, command },
      'could not make this worker deployment version current: it gets no new orders until it is. Run the command by hand',
    );
  }
}
