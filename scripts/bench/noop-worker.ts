/**
 * The benchmark's no-op worker: `noopOrder` and its do-nothing activity on its own task queue,
 * default Worker options, as its own process (started by the benchmark's supervisor like the
 * stack's roles). Stops on SIGINT/SIGTERM (the SDK's Runtime handles them).
 *
 *   BENCH_TEMPORAL_ADDRESS=127.0.0.1:17433 BENCH_TASK_QUEUE=bench-noop node --import tsx scripts/bench/noop-worker.ts
 */
import { NativeConnection, Worker } from '@temporalio/worker';

/** Returns a small object, as the saga's activities do, and nothing else. */
export const noopActivities = {
  step(input: { orderId: string; name: string }): Promise<{ orderId: string; name: string; ok: true }> {
    return Promise.resolve({ orderId: input.orderId, name: input.name, ok: true });
  },
};
export type NoopActivities = typeof noopActivities;

async function main(): Promise<void> {
  const address = process.env.BENCH_TEMPORAL_ADDRESS;
  const taskQueue = process.env.BENCH_TASK_QUEUE;
  if (!address || !taskQueue) throw new Error('BENCH_TEMPORAL_ADDRESS and BENCH_TASK_QUEUE are required');
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    workflowsPath: require.resolve('./noop-workflow'),
    activities: noopActivities,
  });
  process.stdout.write(`no-op worker polling ${taskQueue} on ${address}\n`);
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

// The workflow file imports this module's types only (erased), so this runs only as the program.
main().catch((err: unknown) => {
  process.stderr.write(`no-op worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
