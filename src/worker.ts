/**
 * The worker: runs the order workflows and their activities on one task queue, with the
 * activities talking to the downstreams through the HTTP clients (`src/activities/clients`).
 * Shuts down gracefully on SIGINT/SIGTERM (the SDK's Runtime handles the signals),
 * letting in-flight activities finish within the grace period.
 */
import { Worker } from '@temporalio/worker';
import { loadConfig, temporalSchema } from './config';
import { createLogger } from './logger';
import { connectWorker } from './temporal/connection';
import { createActivities } from './activities';
import { createHttpPorts, downstreamSchema } from './activities/clients';

export async function runWorker(): Promise<void> {
  const temporal = loadConfig(temporalSchema);
  const downstream = loadConfig(downstreamSchema);
  const log = createLogger('worker');
  const connection = await connectWorker(temporal);
  const worker = await Worker.create({
    connection,
    namespace: temporal.TEMPORAL_NAMESPACE,
    taskQueue: temporal.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('./workflows'),
    activities: createActivities({ ports: createHttpPorts(downstream), logger: createLogger('activities') }),
    shutdownGraceTime: '10s',
  });
  log.info({ taskQueue: temporal.TEMPORAL_TASK_QUEUE, namespace: temporal.TEMPORAL_NAMESPACE }, 'worker started');
  try {
    await worker.run();
  } finally {
    await connection.close();
    log.info('worker stopped');
  }
}
