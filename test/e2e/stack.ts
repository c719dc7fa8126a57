/**
 * The whole system in one test process: the orders API (supertest), the real workflow and
 * activities on a worker, the HTTP clients, and the reference services with their database —
 * on Temporal's time-skipping server. Only the Temporal server is a separate process.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Express } from 'express';
import { createActivities } from '../../src/activities';
import { createHttpPorts } from '../../src/activities/clients';
import { createApp } from '../../src/api/app';
import { testConfig } from '../api/harness';
import { createTimeSkippingEnv } from '../helpers/temporal';
import { downstreamConfigFor, startTestServices, type TestServices } from '../services/support';

export interface Stack {
  env: TestWorkflowEnvironment;
  services: TestServices;
  app: Express;
  stop(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const [env, services] = await Promise.all([createTimeSkippingEnv(), startTestServices()]);
  const taskQueue = `e2e-${randomUUID()}`;
  const downstream = downstreamConfigFor(services);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../../src/workflows'),
    activities: createActivities({ ports: createHttpPorts(downstream) }),
  });
  const running = worker.run();
  const app = createApp({ client: env.client, config: testConfig({ TEMPORAL_TASK_QUEUE: taskQueue }) });
  return {
    env,
    services,
    app,
    async stop() {
      worker.shutdown();
      await running;
      await Promise.all([env.teardown(), services.stop()]);
    },
  };
}
