/**
 * The bulkheads: at most `limit` calls to one downstream run at a time in this worker process,
 * and as many more wait for a turn (cockatiel's bulkhead, one per downstream). A call beyond that
 * is not made: it fails with BulkheadFull, retried by Temporal with backoff like an unavailable
 * service. So a downstream that hangs holds at most 2 × `limit` of the worker's activity slots,
 * and the worker has enough for every downstream's 2 × `limit` at once (`activitySlots`): the
 * other downstreams, and the fallback of the one that hangs, always find a slot.
 *
 * Why here and not one task queue per downstream: every activity runs on its order's own task
 * queue, so the server hands it to the worker in its reply to the workflow task that scheduled it
 * (eager dispatch, `system.enableActivityEagerExecution`) instead of through matching; that saves
 * a dispatch of about 4 ms per step and about a quarter of the server's work per order
 * (docs/performance.md). A call waiting for its turn heartbeats (its heartbeat timeout keeps
 * running), and a cancellation ends the wait at once.
 */
import { AsyncResource } from 'node:async_hooks';
import { type Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { type BulkheadPolicy, BulkheadRejectedError, bulkhead } from 'cockatiel';
import { DOWNSTREAMS, type Downstream } from '../../workflows/downstreams';
import type { Carrier } from '../../workflows/order-types';
import { DEFAULT_BACKOFF, type BackoffSettings } from '../backoff';
import { BulkheadFullError } from '../errors';
import { toApplicationFailure } from '../failures';
import type { OrderActivities } from '../order-activities';
import { DEFAULT_BULKHEAD_SIZE } from './config';

/** The downstream each activity calls; the two carriers share theirs, so the request names it. */
const ACTIVITY_DOWNSTREAM: { [A in keyof OrderActivities]: Downstream | ((req: { carrier?: Carrier }) => Downstream) } =
  {
    reserveInventory: 'inventory',
    releaseInventory: 'inventory',
    commitInventory: 'inventory',
    scoreFraud: 'fraudModel',
    scoreFraudByRules: 'fraudRules',
    capturePayment: 'payments',
    refundPayment: 'payments',
    dispatchShipment: (req) => req.carrier ?? 'primaryCarrier',
    voidShipment: (req) => req.carrier ?? 'primaryCarrier',
    notifyCustomer: 'notifications',
    pageApprovers: 'notifications',
    raiseSlaAlert: 'alerts',
  };

/** The downstream an activity of `activityType` called with `req` goes to; undefined for an unknown type. */
export function downstreamOf(activityType: string, req: unknown): Downstream | undefined {
  if (!Object.hasOwn(ACTIVITY_DOWNSTREAM, activityType)) return undefined;
  const route = ACTIVITY_DOWNSTREAM[activityType as keyof OrderActivities];
  return typeof route === 'function' ? route(req ?? {}) : route;
}

export interface BulkheadOptions {
  /** Calls running at once per downstream (`BULKHEAD_*`); as many more may wait. Default DEFAULT_BULKHEAD_SIZE. */
  limits?: Partial<Record<Downstream, number>>;
  /** Retry delay of a call turned away (BulkheadFull). */
  backoff?: BackoffSettings;
  random?: () => number;
}

export interface BulkheadLoad {
  limit: number;
  running: number;
  waiting: number;
}

export class DownstreamBulkheads {
  private readonly policies: Record<Downstream, BulkheadPolicy>;
  private readonly limits: Record<Downstream, number>;
  private readonly rejectedListeners: ((downstream: Downstream) => void)[] = [];

  constructor(private readonly options: BulkheadOptions = {}) {
    const entries = DOWNSTREAMS.map((d) => [d, options.limits?.[d] ?? DEFAULT_BULKHEAD_SIZE] as const);
    this.limits = Object.fromEntries(entries) as Record<Downstream, number>;
    this.policies = Object.fromEntries(entries.map(([d, limit]) => [d, bulkhead(limit, limit)])) as Record<
      Downstream,
      BulkheadPolicy
    >;
  }

  /** The worker's activity slots: every downstream's running and waiting calls at once. */
  get activitySlots(): number {
    return DOWNSTREAMS.reduce((sum, d) => sum + 2 * this.limits[d], 0);
  }

  /** Calls running and waiting, per downstream, now. */
  load(): Record<Downstream, BulkheadLoad> {
    const load = (d: Downstream): BulkheadLoad => {
      const policy = this.policies[d];
      const limit = this.limits[d];
      return { limit, running: limit - policy.executionSlots, waiting: limit - policy.queueSlots };
    };
    return Object.fromEntries(DOWNSTREAMS.map((d) => [d, load(d)])) as Record<Downstream, BulkheadLoad>;
  }

  /** Called for every call turned away (a full bulkhead). */
  onRejected(listener: (downstream: Downstream) => void): void {
    this.rejectedListeners.push(listener);
  }

  /** The activity interceptor that runs every activity inside its downstream's bulkhead. */
  readonly interceptor = (ctx: Context): { inbound: ActivityInboundCallsInterceptor } => ({
    inbound: { execute: (input, next) => this.execute(ctx, input, next) },
  });

  private async execute(
    ctx: Context,
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    const downstream = downstreamOf(ctx.info.activityType, input.args[0]);
    if (!downstream) return next(input);
    const policy = this.policies[downstream];
    // Waiting for a turn: keep the heartbeat timeout from firing on a call that has not started.
    const every = ctx.info.heartbeatTimeoutMs ? Math.max(100, Math.floor(ctx.info.heartbeatTimeoutMs / 3)) : 0;
    const ticker = policy.executionSlots === 0 && every > 0 ? setInterval(() => ctx.heartbeat(), every) : undefined;
    let started = false;
    try {
      // Bound to this activity's async context: a call that waited is started by the one that
      // freed its slot, and would otherwise run as that one (`Context.current()`, so its
      // idempotency key, its logs and its span would be another order's).
      const start = AsyncResource.bind(() => {
        started = true;
        clearInterval(ticker);
        return next(input);
      });
      const run = policy.execute(start, ctx.cancellationSignal);
      // A call cancelled while waiting ends at once (cockatiel drops it only when its turn comes);
      // one cancelled while running ends when the call has really stopped.
      const cancelledWhileWaiting = ctx.cancelled.catch((err: unknown) => {
        if (started) return run;
        throw err;
      });
      return await Promise.race([run, cancelledWhileWaiting]);
    } catch (err) {
      if (!(err instanceof BulkheadRejectedError)) throw err;
      for (const listener of this.rejectedListeners) listener(downstream);
      const { limit } = this.load()[downstream];
      const full = new BulkheadFullError(
        downstream,
        `${downstream}: bulkhead full in this worker (${limit} calls running, ${limit} waiting)`,
        { limit },
      );
      throw toApplicationFailure(full, ctx.info.attempt, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random);
    } finally {
      clearInterval(ticker);
    }
  }
}
