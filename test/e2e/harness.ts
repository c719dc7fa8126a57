/**
 * The whole system in one test process: the orders API (supertest), the real workflow and
 * activities on a worker, the HTTP clients, and the reference services with their database —
 * on Temporal's time-skipping server. Only the Temporal server is a separate process.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Express } from 'express';
import { loadResilienceConfig } from '../../src/activities/resilience/config';
import { DownstreamBreakers } from '../../src/activities/resilience/circuit-breakers';
import type { Worker } from '@temporalio/worker';
import { createOrderWorkers, runWorkers, type OrderWorkersOptions } from '../../src/temporal/workers';
import { createApp } from '../../src/api/app';
import { createProductionActivities } from '../../src/worker';
import { testConfig } from '../api/harness';
import { createTimeSkippingEnv } from '../harness/temporal';
import { downstreamConfigFor, startTestServices, type TestServices } from '../services/harness';

export interface Stack {
  env: TestWorkflowEnvironment;
  services: TestServices;
  app: Express;
  stop(): Promise<void>;
}

/**
 * The worker set as production runs it (workflow, real activities, HTTP clients, breakers) on a
 * fresh task queue, calling the test services. Not started: run it with runWorkers or runWorkersUntil.
 */
export async function createProductionWorkers(
  env: TestWorkflowEnvironment,
  services: TestServices,
  options: { taskQueue?: string; tracing?: OrderWorkersOptions['tracing'] } = {},
): Promise<{ taskQueue: string; workers: Worker[] }> {
  const taskQueue = options.taskQueue ?? `e2e-${randomUUID()}`;
  const resilience = loadResilienceConfig({ SLA_ALERT_WEBHOOK_URL: `${services.urls.notifications}/alerts` });
  const workers = await createOrderWorkers({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../../src/workflows/order-fulfillment'),
    activities: createProductionActivities(
      { downstream: downstreamConfigFor(services), resilience, webUiUrl: 'http://localhost:8233' },
      new DownstreamBreakers(resilience.breakers),
    ),
    tracing: options.tracing,
  });
  return { taskQueue, workers };
}

export async function startStack(): Promise<Stack> {
  const [env, services] = await Promise.all([createTimeSkippingEnv(), startTestServices()]);
  const { taskQueue, workers } = await createProductionWorkers(env, services);
  const running = runWorkers(workers);
  const app = createApp({ client: env.client, config: testConfig({ TEMPORAL_TASK_QUEUE: taskQueue }) });
  return {
    env,
    services,
    app,
    async stop() {
      for (const worker of workers) worker.shutdown();
      await running;
      await Promise.all([env.teardown(), services.stop()]);
    },
  };
}
