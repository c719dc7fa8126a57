/**
 * Ending the retry delays of a downstream's activities once the downstream is back, through
 * Temporal's own activity API. Without it, an activity that failed during an outage waits out the
 * delay it asked for (up to ~37 s, `src/activities/backoff.ts`) even when the downstream answered
 * again long before. Temporal still owns every retry: this only asks it to run the next attempt now.
 *
 * When a breaker's probe sees its downstream healthy, or the breaker closes on a successful call
 * (`DownstreamBreakers.onRecovered`), one release runs for that downstream:
 *  1. one visibility query: the running orders of this worker's order task queue whose
 *     `OrderStatus` is one in which an activity of that downstream can be pending (`RELEASE_TARGETS`),
 *     paged through;
 *  2. for each order (8 at a time), `DescribeWorkflowExecution`: its pending activities of that
 *     downstream's types whose last attempt failed on that downstream (the `downstream` of the
 *     failure's details, `src/activities/failures.ts`), waiting for their next attempt (scheduled,
 *     not paused, next attempt in the future);
 *  3. `ResetActivity` of each, by id: attempts back to 1 and the next attempt scheduled at once
 *     (within `jitterMs`, so a recovering service is not hit by every order in the same
 *     millisecond); a paused activity stays paused (`keepPaused`), heartbeat details are kept.
 *  A workflow or activity that is gone by then (NOT_FOUND) is nothing to do. One summary line per
 *  release: downstream, trigger, orders looked at, activities reset, failures, ms.
 *
 * Why by id after a describe rather than `ResetActivity{type}` on every order: the two carriers
 * share their activity types (`dispatchShipment`, `voidShipment`), so only the failure tells
 * whose an activity is; and only activities really waiting for a retry are touched. An attempt
 * that failed without saying where (its own timeout) waits out its delay.
 *
 * What a reset changes: the attempt count starts again at 1, so the step gets its full retry
 * budget (`maximumAttempts`) again and its backoff starts again at the first delay. That is why a
 * healthy probe releases at most once per outage (a health check that answers while the service
 * still fails must not keep every order retrying forever): after that, only the breaker closing —
 * a real call succeeded — releases again. One step is never released: the primary carrier's
 * `dispatchShipment`. The saga reads its attempt number to decide whether a request of the order
 * may have reached the carrier (`mayHaveReachedPrimary` in `src/workflows/forward-steps.ts`: an open
 * breaker on attempt 1 means nothing left the worker), so a reset followed by an open breaker would
 * let the backup ship without voiding a primary dispatch that may have landed. Its next attempt
 * comes at its own time, and an open breaker sends the order to the backup anyway.
 *
 * Many worker processes, one release each: every worker has its own breakers, so each runs its own
 * release when it sees the downstream back. That is harmless: a reset of an activity that another
 * worker already released finds it scheduled or running and leaves it alone (this module only
 * resets activities waiting for a retry, and Temporal does not start a second execution of a
 * running one), and every activity is idempotent by its key (`${orderId}:${step}`), so even an
 * attempt run twice applies nothing twice. The cost is N describes per order for N workers.
 */
import { isGrpcServiceError, type Client } from '@temporalio/client';
import { defaultPayloadConverter, msToTs, type PayloadConverter } from '@temporalio/common';
import type { OrderActivities } from '../activities';
import type { BreakerName } from '../activities/resilience/config';
import type { BackoffReleaseMetrics, ReleaseTrigger } from '../activities/resilience/metrics';
import { ORDER_WORKFLOW_TYPE, OrderStatusKey } from '../workflows/definitions';
import { OrderStatus } from '../workflows/order-status';
import { GRPC_NOT_FOUND } from './connection';

type ActivityName = keyof OrderActivities;

export interface ReleaseTarget {
  /** The `OrderStatus` values in which one of `activities` can be pending. */
  statuses: readonly OrderStatus[];
  /** The activity types of the downstream that a release runs again at once. */
  activities: readonly ActivityName[];
}

const S = OrderStatus;

/**
 * Where each downstream's activities can be waiting for a retry, from the saga
 * (`src/workflows/order-fulfillment.ts`): the status is listed within `STATUS_SETTLE` (1 s) of the
 * step's start, before its first retry is due.
 */
export const RELEASE_TARGETS: Record<BreakerName, ReleaseTarget> = {
  // reserve (RECEIVED), release (COMPENSATING), commit (SHIPPING_DISPATCHED, after dispatch).
  inventory: {
    statuses: [S.RECEIVED, S.COMPENSATING, S.SHIPPING_DISPATCHED],
    activities: ['reserveInventory', 'releaseInventory', 'commitInventory'],
  },
  // capture (INVENTORY_LOCKED, also after an approval), refund (COMPENSATING).
  payments: { statuses: [S.INVENTORY_LOCKED, S.COMPENSATING], activities: ['capturePayment', 'refundPayment'] },
  // The void before the backup ships (PAYMENT_CAPTURED). Not dispatchShipment: see the comment on top.
  primaryCarrier: { statuses: [S.PAYMENT_CAPTURED], activities: ['voidShipment'] },
  backupCarrier: { statuses: [S.PAYMENT_CAPTURED], activities: ['dispatchShipment', 'voidShipment'] },
  // The model scores alongside the reservation (RECEIVED), and is waited for once the stock is locked.
  fraudModel: { statuses: [S.RECEIVED, S.INVENTORY_LOCKED], activities: ['scoreFraud'] },
  fraudRules: { statuses: [S.INVENTORY_LOCKED], activities: ['scoreFraudByRules'] },
  // Approver pages (AWAITING_APPROVAL); the customer mail alongside the commit (SHIPPING_DISPATCHED)
  // and after COMPLETED (the workflow still runs until the mail is sent or given up).
  notifications: {
    statuses: [S.AWAITING_APPROVAL, S.SHIPPING_DISPATCHED, S.COMPLETED],
    activities: ['notifyCustomer', 'pageApprovers'],
  },
};

const quoted = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The running orders of `orderQueue` in which an activity of `downstream` can be pending. */
export function releaseQuery(orderQueue: string, downstream: BreakerName): string {
  const statuses = RELEASE_TARGETS[downstream].statuses.map(quoted).join(', ');
  return [
    `WorkflowType = ${quoted(ORDER_WORKFLOW_TYPE)}`,
    `ExecutionStatus = 'Running'`,
    `TaskQueue = ${quoted(orderQueue)}`,
    `${OrderStatusKey.name} IN (${statuses})`,
  ].join(' AND ');
}

/** `temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED`. */
const PENDING_ACTIVITY_STATE_SCHEDULED = 1;

type DescribeResponse = Awaited<ReturnType<Client['workflowService']['describeWorkflowExecution']>>;
type PendingActivity = NonNullable<DescribeResponse['pendingActivities']>[number];

/** Scheduled for a later attempt (a retry delay) after failing on `downstream`, not running, not paused, of `types`. */
export function isWaitingForRetry(
  activity: PendingActivity,
  types: ReadonlySet<string>,
  downstream: BreakerName,
  now: number,
  converter: PayloadConverter = defaultPayloadConverter,
): boolean {
  if (!types.has(activity.activityType?.name ?? '')) return false;
  if (failedOn(activity, converter) !== downstream) return false;
  if (Number(activity.state) !== PENDING_ACTIVITY_STATE_SCHEDULED || activity.paused) return false;
  const next = timestampMs(activity.nextAttemptScheduleTime);
  return next !== undefined && next > now;
}

/** The downstream named by the details of the activity's last failure (`FailureDetails`), if any. */
function failedOn(activity: PendingActivity, converter: PayloadConverter): string | undefined {
  const payload = activity.lastFailure?.applicationFailureInfo?.details?.payloads?.[0];
  if (!payload) return undefined;
  try {
    const details = converter.fromPayload<{ downstream?: unknown }>(payload);
    return typeof details?.downstream === 'string' ? details.downstream : undefined;
  } catch {
    return undefined;
  }
}

/** A protobuf Timestamp in ms; its seconds arrive as a number or a Long, depending on the connection. */
function timestampMs(ts: PendingActivity['nextAttemptScheduleTime']): number | undefined {
  const seconds = ts?.seconds as number | { toNumber(): number } | null | undefined;
  if (seconds === null || seconds === undefined) return undefined;
  const s = typeof seconds === 'number' ? seconds : seconds.toNumber();
  return s * 1000 + Math.floor((ts?.nanos ?? 0) / 1e6);
}

export interface ReleaseLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export interface BackoffReleaseOptions {
  /** A client on the worker's connection and namespace. */
  client: Client;
  /** The order task queue: only its orders are looked at. */
  taskQueue: string;
  logger?: ReleaseLogger;
  metrics?: BackoffReleaseMetrics;
  /** Orders described and reset at the same time (default 8). */
  concurrency?: number;
  /** Each released activity starts at a random time within this (default 1000 ms; 0: at once). */
  jitterMs?: number;
  /** Deadline of each call to Temporal (default 5000 ms). */
  rpcTimeoutMs?: number;
  /** Stops releases for good (the worker is shutting down): calls in flight are cancelled. */
  signal?: AbortSignal;
  /** Shown in the workflow's history as who reset the activity. */
  identity?: string;
  now?: () => number;
}

export interface ReleaseSummary {
  downstream: BreakerName;
  trigger: ReleaseTrigger;
  /** Orders the visibility query returned (each described once). */
  orders: number;
  /** Activities Temporal was asked to run at once. */
  activitiesReset: number;
  /** Orders that could not be described or reset (they wait out their own delay). */
  failed: number;
  ms: number;
}

export const DEFAULT_RELEASE_CONCURRENCY = 8;
export const DEFAULT_RELEASE_JITTER_MS = 1_000;
const DEFAULT_RPC_TIMEOUT_MS = 5_000;
const PAGE_SIZE = 200;

/** No such workflow run or pending activity (any more): nothing to release. */
export function isNotFound(err: unknown): boolean {
  const cause = err instanceof Error && isGrpcServiceError(err.cause) ? err.cause : err;
  return isGrpcServiceError(cause) && Number(cause.code) === GRPC_NOT_FOUND;
}

export class BackoffRelease {
  private readonly running = new Map<BreakerName, Promise<void>>();
  /** A request that came while a release of the downstream ran: it runs once more afterwards. */
  private readonly queued = new Map<BreakerName, ReleaseTrigger>();
  /** Downstreams released on a healthy probe since their breaker last closed. */
  private readonly releasedOnProbe = new Set<BreakerName>();
  private readonly client: Client;
  private readonly namespace: string;
  private readonly identity: string;

  constructor(private readonly options: BackoffReleaseOptions) {
    this.client = options.client;
    this.namespace = options.client.options.namespace;
    this.identity = options.identity ?? `${options.client.options.identity} backoff-release`;
  }

  /**
   * What the breakers report (`DownstreamBreakers.onRecovered`): a healthy probe releases once per
   * outage, the breaker closing always. Runs in the background; `settled()` waits for it.
   */
  readonly request = ({ downstream, via }: { downstream: BreakerName; via: ReleaseTrigger }): void => {
    if (this.options.signal?.aborted) return;
    if (via === 'probe') {
      if (this.releasedOnProbe.has(downstream)) {
        this.options.logger?.debug?.(
          { downstream, trigger: via },
          'backoff release skipped: already released once in this outage; the next when the breaker closes',
        );
        return;
      }
      this.releasedOnProbe.add(downstream);
    } else {
      this.releasedOnProbe.delete(downstream);
    }
    if (this.running.has(downstream)) this.queued.set(downstream, via);
    else this.start(downstream, via);
  };

  /** Resolves once no release is running or queued. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  private start(downstream: BreakerName, trigger: ReleaseTrigger): void {
    const run = this.release(downstream, trigger)
      .then(
        () => undefined,
        (err: unknown) => {
          if (this.options.signal?.aborted) return;
          this.options.logger?.warn(
            { err, downstream, trigger },
            'backoff release failed: the activities waiting for this downstream keep their retry delays',
          );
        },
      )
      .finally(() => {
        this.running.delete(downstream);
        const next = this.queued.get(downstream);
        this.queued.delete(downstream);
        if (next && !this.options.signal?.aborted) this.start(downstream, next);
      });
    this.running.set(downstream, run);
  }

  /** One release for `downstream`, logged and counted; throws when the visibility query fails. */
  async release(downstream: BreakerName, trigger: ReleaseTrigger = 'closed'): Promise<ReleaseSummary> {
    const now = this.options.now ?? Date.now;
    const started = now();
    const target = RELEASE_TARGETS[downstream];
    const types = new Set<string>(target.activities);
    const summary: ReleaseSummary = { downstream, trigger, orders: 0, activitiesReset: 0, failed: 0, ms: 0 };
    let firstError: unknown;
    const executions = this.client.workflow.list({
      query: releaseQuery(this.options.taskQueue, downstream),
      pageSize: PAGE_SIZE,
    });
    await this.cancellable(() =>
      forEachConcurrently(executions, this.options.concurrency ?? DEFAULT_RELEASE_CONCURRENCY, async (execution) => {
        summary.orders += 1;
        try {
          const { workflowId, runId } = execution;
          // Awaited first: `+= await` would add to a count read before the other orders' resets.
          const reset = await this.releaseOrder({ workflowId, runId }, types, downstream, now);
          summary.activitiesReset += reset;
        } catch (err) {
          if (isNotFound(err) || this.options.signal?.aborted) return;
          summary.failed += 1;
          firstError ??= err;
        }
      }),
    );
    summary.ms = now() - started;
    this.options.metrics?.released(downstream, trigger, summary.activitiesReset, summary.failed);
    const line = { ...summary, ...(firstError ? { firstError: errorMessage(firstError) } : {}) };
    if (summary.failed > 0) this.options.logger?.warn(line, 'backoff release');
    else this.options.logger?.info(line, 'backoff release');
    return summary;
  }

  /** Resets the activities of one order that wait for a retry; returns how many. */
  private async releaseOrder(
    execution: { workflowId: string; runId: string },
    types: ReadonlySet<string>,
    downstream: BreakerName,
    now: () => number,
  ): Promise<number> {
    const { namespace } = this;
    const described = await this.rpc(() =>
      this.client.workflowService.describeWorkflowExecution({ namespace, execution }),
    );
    const waiting = (described.pendingActivities ?? []).filter((a) =>
      isWaitingForRetry(a, types, downstream, now(), this.client.options.loadedDataConverter.payloadConverter),
    );
    const jitterMs = this.options.jitterMs ?? DEFAULT_RELEASE_JITTER_MS;
    let reset = 0;
    for (const activity of waiting) {
      try {
        await this.rpc(() =>
          this.client.workflowService.resetActivity({
            namespace,
            execution,
            identity: this.identity,
            id: activity.activityId,
            keepPaused: true,
            resetHeartbeat: false,
            ...(jitterMs > 0 ? { jitter: msToTs(jitterMs) } : {}),
          }),
        );
        reset += 1;
      } catch (err) {
        // Completed, failed or cancelled since the describe: nothing waits any more.
        if (!isNotFound(err)) throw err;
      }
    }
    return reset;
  }

  private rpc<T>(fn: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + (this.options.rpcTimeoutMs ?? DEFAULT_RPC_TIMEOUT_MS), fn);
  }

  private cancellable<T>(fn: () => Promise<T>): Promise<T> {
    const { signal } = this.options;
    return signal ? this.client.withAbortSignal(signal, fn) : fn();
  }
}

/** Runs `fn` over `items` as they arrive, at most `limit` at a time; rejects when the iteration itself fails. */
export async function forEachConcurrently<T>(
  items: AsyncIterable<T> | Iterable<T>,
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  try {
    for await (const item of items) {
      const task: Promise<void> = fn(item).finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
  } finally {
    await Promise.allSettled(inFlight);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
