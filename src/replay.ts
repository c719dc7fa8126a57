/**
 * `replay`: downloads order histories from the configured cluster and replays them against the
 * workflow code of this build, before it is deployed. A change that would break an order in
 * flight shows up here as a nondeterminism error instead of as stuck orders after the deploy.
 *
 *   npm run replay                                              running orders (up to --limit)
 *   npm run replay -- --query 'OrderStatus="AWAITING_APPROVAL"' (only order workflows are selected)
 *   npm run replay -- --workflow-id <orderId> [--workflow-id <orderId> …]
 *   node dist/main.js replay …                                  from the image about to be deployed
 *
 * Exits 0 when every history replays, 1 when one does not (or could not be downloaded).
 */
import { parseArgs } from 'node:util';
import type { Client, HistoryAndWorkflowId } from '@temporalio/client';
import { Runtime, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { loadConfig, temporalSchema } from './config';
import { createLogger } from './logger';
import { connectClient } from './temporal/connection';
import { WORKFLOW_TRACING_MODULE } from './temporal/workers';
import { tracingEnabled } from './tracing';
import { ORDER_WORKFLOW_TYPE } from './workflows/definitions';
import { sdkLoggerFromPino } from './worker';

export const DEFAULT_REPLAY_LIMIT = 100;
/** What a deploy replays when told nothing else: the orders it will take over. */
export const DEFAULT_REPLAY_QUERY = "ExecutionStatus = 'Running'";

export interface ReplaySelection {
  /** A visibility query, narrowed to order workflows. */
  query?: string;
  workflowIds?: string[];
  /** Most executions taken from the query (explicit ids always count). */
  limit?: number;
}

export type ReplayVerdict = 'ok' | 'nondeterminism' | 'failed';

export interface ReplayOutcome {
  workflowId: string;
  runId?: string;
  verdict: ReplayVerdict;
  /** `Name: message` of the error, for anything but ok. */
  error?: string;
}

export interface ReplaySummary {
  outcomes: ReplayOutcome[];
  ok: number;
  nondeterminism: number;
  failed: number;
}

/**
 * The replay worker's options: the bundle the worker builds from the same workflowsPath, with the
 * tracing interceptors when tracing is on (as `createOrderWorkers` adds them). Keep in step with
 * src/temporal/workers.ts if its workflow worker gains other interceptor modules, plugins or a
 * data converter: they are part of what replays.
 */
export function orderReplayOptions(
  workflowsPath = require.resolve('./workflows/order-fulfillment'),
  { tracing = false } = {},
): ReplayWorkerOptions {
  if (!tracing) return { workflowsPath, replayName: 'pre-deploy-replay' };
  return {
    workflowsPath,
    replayName: 'pre-deploy-replay',
    interceptors: { workflowModules: [WORKFLOW_TRACING_MODULE] },
    // The interceptors hand their spans to this sink; a replay exports nothing, but without the
    // sink the SDK logs an error for every workflow.
    sinks: { exporter: { export: { fn: () => undefined } } },
  };
}

export function orderQuery(query: string): string {
  return `WorkflowType = '${ORDER_WORKFLOW_TYPE}' AND (${query})`;
}

interface Execution {
  workflowId: string;
  runId?: string;
}

async function selectExecutions(client: Client, selection: ReplaySelection): Promise<Execution[]> {
  const seen = new Set<string>();
  const executions: Execution[] = [];
  const add = (e: Execution) => {
    const key = `${e.workflowId}/${e.runId ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    executions.push(e);
  };
  for (const workflowId of selection.workflowIds ?? []) add({ workflowId });
  const ids = selection.workflowIds ?? [];
  const query = selection.query ?? (ids.length === 0 ? DEFAULT_REPLAY_QUERY : undefined);
  if (query !== undefined) {
    const limit = selection.limit ?? DEFAULT_REPLAY_LIMIT;
    let taken = 0;
    for await (const wf of client.workflow.list({ query: orderQuery(query), pageSize: Math.min(limit, 1000) })) {
      if (taken++ >= limit) break;
      // An id given explicitly already stands for its latest run.
      if (!ids.includes(wf.workflowId)) add({ workflowId: wf.workflowId, runId: wf.runId });
    }
  }
  return executions;
}

/** Downloads the histories a few at a time, in order; a failed download is reported, not replayed. */
async function* downloadHistories(
  client: Client,
  executions: Execution[],
  onFailure: (execution: Execution, err: unknown) => void,
  concurrency = 5,
): AsyncGenerator<HistoryAndWorkflowId> {
  const fetch = (e: Execution) =>
    client.workflow
      .getHandle(e.workflowId, e.runId)
      .fetchHistory()
      .then(
        (history): HistoryAndWorkflowId => ({ workflowId: e.workflowId, history }),
        (err: unknown) => {
          onFailure(e, err);
          return null;
        },
      );
  const pending: Promise<HistoryAndWorkflowId | null>[] = [];
  let next = 0;
  const fill = () => {
    while (next < executions.length && pending.length < concurrency) pending.push(fetch(executions[next++]!));
  };
  fill();
  while (pending.length > 0) {
    const result = await pending.shift()!;
    fill();
    if (result) yield result;
  }
}

const describe = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/** Replays the selected histories against `options`' workflow code; `onOutcome` sees each as it comes. */
export async function replayLiveHistories(
  client: Client,
  selection: ReplaySelection,
  options: { replay?: ReplayWorkerOptions; onOutcome?: (outcome: ReplayOutcome) => void } = {},
): Promise<ReplaySummary> {
  const outcomes: ReplayOutcome[] = [];
  const record = (outcome: ReplayOutcome) => {
    outcomes.push(outcome);
    options.onOutcome?.(outcome);
  };
  const executions = await selectExecutions(client, selection);
  if (executions.length > 0) {
    const histories = downloadHistories(client, executions, (e, err) =>
      record({ ...e, verdict: 'failed', error: `could not download the history: ${describe(err)}` }),
    );
    for await (const result of Worker.runReplayHistories(options.replay ?? orderReplayOptions(), histories)) {
      const { workflowId, runId, error } = result;
      if (!error) record({ workflowId, runId, verdict: 'ok' });
      else {
        const verdict = error.name === 'DeterminismViolationError' ? 'nondeterminism' : 'failed';
        record({ workflowId, runId, verdict, error: describe(error) });
      }
    }
  }
  const count = (v: ReplayVerdict) => outcomes.filter((o) => o.verdict === v).length;
  return { outcomes, ok: count('ok'), nondeterminism: count('nondeterminism'), failed: count('failed') };
}

const USAGE = `Usage: replay [--query '<visibility query>'] [--workflow-id <id> …] [--limit <n>]
  Replays order histories from the cluster (TEMPORAL_* variables, as the worker) against this
  build's workflow code. Without --query or --workflow-id: ${DEFAULT_REPLAY_QUERY} (order workflows).
  --limit: most executions taken from the query (default ${DEFAULT_REPLAY_LIMIT}).
  Exit code: 0 every history replayed, 1 nondeterminism or a failure, 64 bad arguments.
`;

export function formatOutcome(o: ReplayOutcome): string {
  const label = { ok: 'ok', nondeterminism: 'NONDETERMINISM', failed: 'FAILED' }[o.verdict];
  const run = o.runId ? ` (run ${o.runId})` : '';
  return `${label.padEnd(14)} ${o.workflowId}${run}${o.error ? `\n               ${o.error}` : ''}`;
}

function usageError(message: string): void {
  process.stderr.write(`${message}\n${USAGE}`);
  process.exitCode = 64;
}

/** The `replay` command. */
export async function runReplay(args: string[] = process.argv.slice(3)): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        query: { type: 'string' },
        'workflow-id': { type: 'string', multiple: true },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    return usageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
    return usageError('--limit expects a positive whole number');
  const temporal = loadConfig(temporalSchema);
  // The SDK's own lines (bundling, replay worker states) only when they matter; the core's
  // warning on each nondeterministic history repeats what the report says.
  Runtime.install({
    logger: sdkLoggerFromPino(createLogger('temporal-sdk', 'warn')),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'WARN' }, forward: {} } },
  });
  const client = await connectClient(temporal);
  try {
    const selection: ReplaySelection = {
      ...(values.query !== undefined ? { query: values.query } : {}),
      ...(values['workflow-id'] ? { workflowIds: values['workflow-id'] } : {}),
      ...(limit !== undefined ? { limit } : {}),
    };
    const where = `${temporal.TEMPORAL_ADDRESS}, namespace ${temporal.TEMPORAL_NAMESPACE}`;
    process.stdout.write(`Replaying order histories from ${where} against this build's workflow code\n`);
    const tracing = tracingEnabled();
    if (tracing) process.stdout.write('(with the tracing interceptors, as the worker runs with OTEL_* set)\n');
    const summary = await replayLiveHistories(client, selection, {
      replay: orderReplayOptions(undefined, { tracing }),
      onOutcome: (o) => process.stdout.write(`${formatOutcome(o)}\n`),
    });
    const total = summary.outcomes.length;
    process.stdout.write(
      total === 0
        ? 'No order workflow matched: nothing to replay.\n'
        : `${total} ${total === 1 ? 'history' : 'histories'}: ${summary.ok} ok, ${summary.nondeterminism} nondeterminism, ${summary.failed} failed\n`,
    );
    if (summary.ok !== total) process.exitCode = 1;
  } finally {
    await client.connection.close();
    // A Runtime that never ran a replay worker is never idle-shut: without this the command would not exit.
    await Runtime.instance().shutdown();
  }
}
