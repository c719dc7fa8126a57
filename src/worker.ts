/**
 * The worker: runs the order workflows and their activities on one task queue.
 * Shuts down gracefully on SIGINT/SIGTERM (the SDK's Runtime handles the signals),
 * letting in-flight activities finish within the grace period.
 */
import { Worker } from '@temporalio/worker';
import { loadConfig, temporalSchema } from './config';
import { createLogger } from './logger';
import { connectWorker } from './temporal/connection';
import { createActivities } from './activities';

export async function runWorker(): Promise<void> {
  const temporal = loadConfig(temporalSchema);
  const log = createLogger('worker');
  const connection = await connectWorker(temporal);
  const worker = await Worker.create({
    connection,
    namespace: temporal.TEMPORAL_NAMESPACE,
    taskQueue: temporal.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('./workflows'),
    activities: createActivities(),
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
