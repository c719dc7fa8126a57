import type { Connection } from '@temporalio/client';
import { isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import { loadConfig, temporalSchema } from '../config';
import { connect, GRPC_ALREADY_EXISTS, GRPC_NOT_FOUND } from './connection';
import { waitUntilReachable } from './dev-server';
import { registerSearchAttributes } from './search-attributes';

/** How long a self-hosted cluster keeps a closed order's history: a week to look into it in the Web UI. */
export const NAMESPACE_RETENTION = '7 days';

/**
 * Registers `namespace` when the cluster does not have it (a new self-hosted cluster has only
 * `temporal-system`). Returns true when it did. The dev server and Temporal Cloud have theirs already.
 */
export async function ensureNamespace(connection: Connection, namespace: string): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return false;
  } catch (err) {
    if (!isGrpcServiceError(err) || Number(err.code) !== GRPC_NOT_FOUND) throw err;
  }
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs(NAMESPACE_RETENTION),
    });
  } catch (err) {
    // Another setup job registered it first.
    if (!isGrpcServiceError(err) || Number(err.code) !== GRPC_ALREADY_EXISTS) throw err;
  }
  return true;
}

/**
 * A namespace just registered reaches the frontends' caches within seconds; until then calls
 * naming it answer NOT_FOUND. Retries only that, within a bound.
 */
async function whenNamespaceKnown<T>(call: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const notYet = isGrpcServiceError(err) && Number(err.code) === GRPC_NOT_FOUND;
      if (!notYet || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * `setup`: waits for the Temporal frontend, registers the namespace when the cluster lacks it,
 * then the order search attributes. Idempotent; a one-shot job in docker-compose, the
 * production-shape run and `npm start`.
 */
export async function runSetup(log: (message: string) => void = (m) => process.stdout.write(`${m}\n`)): Promise<void> {
  const config = loadConfig(temporalSchema);
  await waitUntilReachable(config.TEMPORAL_ADDRESS, undefined, 120_000);
  const connection = await connect(config);
  try {
    const namespace = config.TEMPORAL_NAMESPACE;
    if (await ensureNamespace(connection, namespace)) log(`registered namespace ${namespace}`);
    const added = await whenNamespaceKnown(() => registerSearchAttributes(connection, namespace));
    log(
      added.length > 0 ? `registered search attributes: ${added.join(', ')}` : 'search attributes already registered',
    );
  } finally {
    await connection.close();
  }
}
