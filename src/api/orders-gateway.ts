/**
 * Every call the API makes to Temporal, each under a deadline so a slow or unreachable
 * cluster turns into a prompt 503 instead of a hung request. Temporal is the only store:
 * the idempotency record is the workflow id plus the request fingerprint in its memo.
 */
import {
  type Client,
  QueryNotRegisteredError,
  QueryRejectedError,
  ServiceError,
  type WorkflowExecutionDescription,
  type WorkflowExecutionStatusName,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import {
  defaultPayloadConverter,
  type UpdateDefinition,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/common';
import {
  CustomerIdKey,
  getOrderStateQuery,
  ORDER_WORKFLOW_TYPE,
  OrderCurrencyKey,
  orderSearchAttributes,
  type OrderState,
  OrderStatusKey,
  OrderTotalKey,
  retryParkedOrderUpdate,
  type RetryRequest,
} from '../workflows/definitions';
import { OrderStatus } from '../workflows/order-status';
import { orderStartMetadata, type OrderInput } from '../workflows/order-types';
import { grpcCode, isUnavailable } from './temporal-errors';

export interface OrderMemo {
  /** Fingerprint of the canonical request body that created the order. */
  requestFingerprint: string;
  /** Request id of the API request that created the order (see the API's logs). */
  requestId: string;
}

export type StartOutcome =
  { started: true } | { started: false; fingerprint: string | null; requestId: string | null; status: string | null };

export type SteerOutcome<T> = { settled: true; result: T } | { settled: false };

export interface GatewayOptions {
  taskQueue: string;
  /** Deadline for one call, in milliseconds. */
  timeoutMs: number;
}

export class OrdersGateway {
  constructor(
    private readonly client: Client,
    private readonly options: GatewayOptions,
  ) {}

  private within<R>(fn: () => Promise<R>, timeoutMs = this.options.timeoutMs): Promise<R> {
    return this.client.withDeadline(Date.now() + timeoutMs, fn);
  }

  get namespace(): string {
    return this.client.options.namespace;
  }

  /**
   * Starts the order workflow, or reports the order already holding this id. The workflow id
   * is unique per namespace and, with REJECT_DUPLICATE, stays taken after the order closes:
   * concurrent or late retries can never start a second order.
   */
  async startOrder(input: OrderInput, memo: OrderMemo): Promise<StartOutcome> {
    try {
      await this.within(() =>
        this.client.workflow.start<(input: OrderInput) => Promise<OrderState>>(ORDER_WORKFLOW_TYPE, {
          workflowId: input.orderId,
          taskQueue: this.options.taskQueue,
          args: [input],
          memo: { ...memo },
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: orderSearchAttributes(input),
          // What the Web UI and `temporal workflow describe` show of the order from its first moment.
          ...orderStartMetadata(input),
        }),
      );
      return { started: true };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    const existing = await this.within(() => this.client.workflow.getHandle(input.orderId).describe());
    const stored = existing.memo ?? {};
    return {
      started: false,
      fingerprint: typeof stored.requestFingerprint === 'string' ? stored.requestFingerprint : null,
      requestId: typeof stored.requestId === 'string' ? stored.requestId : null,
      status: existing.typedSearchAttributes.get(OrderStatusKey) ?? null,
    };
  }

  async describeOrder(orderId: string): Promise<WorkflowExecutionDescription> {
    return this.within(() => this.client.workflow.getHandle(orderId).describe());
  }

  /** How long `readOrder` waits for a worker to answer the state query. */
  get liveQueryTimeoutMs(): number {
    return Math.min(LIVE_QUERY_TIMEOUT_MS, this.options.timeoutMs);
  }

  /**
   * One order, read so that it answers even when no worker is running. A query needs a worker
   * (Temporal holds it until one polls, or the deadline passes), so:
   *
   * 1. `describe()` first, under the normal deadline. It needs no worker and is one fast call;
   *    an unknown order (404) and an unreachable Temporal (503) surface here, as before.
   * 2. A COMPLETED workflow is not queried at all: querying a closed workflow makes a worker
   *    replay its whole history, while its result (the completion event) already holds the
   *    final `OrderState`. It is read from history, no worker involved.
   * 3. Otherwise the query runs under a short deadline (`LIVE_QUERY_TIMEOUT_MS`, capped by the
   *    API's own). A healthy worker answers in milliseconds; with no worker the answer is the
   *    records from step 1, so the whole read stays around one second.
   *
   * A short deadline, rather than first asking the task queue for pollers: Temporal keeps
   * listing a poller for minutes after its worker died, so "pollers present" cannot tell a
   * crashed worker from a live one, and it would cost every read one more call. The deadline
   * covers every case (never started, crashed, deploying, scaled to zero, a sticky worker gone)
   * with no extra call when a worker is up; the price is a records answer, clearly marked, if
   * a worker is too busy to answer within the deadline.
   */
  async readOrder(orderId: string): Promise<OrderReading> {
    const description = await this.describeOrder(orderId);
    const records = orderRecords(description);
    if (description.status.name === 'COMPLETED') {
      // This run's completion event, not a later run's (a completed run starts none here).
      const result: unknown = await this.within(() =>
        this.client.workflow.result(orderId, description.runId, { followRuns: false }),
      );
      return { source: 'records', reason: 'closed', records, finalState: isOrderState(result) ? result : null };
    }
    try {
      const handle = this.client.workflow.getHandle(orderId, description.runId);
      const state = await this.within(() => handle.query(getOrderStateQuery), this.liveQueryTimeoutMs);
      return { source: 'query', state };
    } catch (err) {
      const reason = queryFailure(err);
      if (reason === null) throw err;
      return { source: 'records', reason, records, finalState: null, queryError: err };
    }
  }

  /**
   * Runs an update and waits up to `waitMs` for its result. Admission (the validator) is
   * awaited under the normal deadline; a handler still running after `waitMs` carries on in
   * the workflow and is reported as not yet settled.
   */
  async steer<Arg>(
    orderId: string,
    update: UpdateDefinition<OrderState, [Arg]>,
    arg: Arg,
    waitMs: number,
  ): Promise<SteerOutcome<OrderState>> {
    const handle = this.client.workflow.getHandle(orderId);
    const admitted = await this.within(() => handle.startUpdate(update, { args: [arg], waitForStage: 'ACCEPTED' }));
    try {
      return { settled: true, result: await this.within(() => admitted.result(), waitMs) };
    } catch (err) {
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return { settled: false };
      throw err;
    }
  }

  /** Sends an operator retry to a parked order; resolves once the order accepted it (its validator passed). */
  async retryParkedOrder(orderId: string, request: RetryRequest): Promise<void> {
    const handle = this.client.workflow.getHandle(orderId);
    await this.within(() => handle.startUpdate(retryParkedOrderUpdate, { args: [request], waitForStage: 'ACCEPTED' }));
  }

  /**
   * One page of orders matching a visibility query. The raw service call, because the client's
   * `workflow.list()` hides the page token a stateless API hands back as its cursor.
   */
  async listOrders(query: string, pageSize: number, pageToken: Buffer | undefined): Promise<OrderPage> {
    const response = await this.within(() =>
      this.client.workflowService.listWorkflowExecutions({
        namespace: this.namespace,
        query,
        pageSize,
        nextPageToken: pageToken ?? null,
      }),
    );
    const token = response.nextPageToken;
    return {
      orders: response.executions.map(orderSummary),
      nextPageToken: token && token.length > 0 ? Buffer.from(token) : null,
    };
  }

  /** Resolves when Temporal answers and the namespace exists; rejects otherwise. */
  async checkNamespace(timeoutMs: number): Promise<void> {
    await this.within(() => this.client.workflowService.describeNamespace({ namespace: this.namespace }), timeoutMs);
  }
}

/**
 * How long a read waits for a worker to answer the state query before it answers from
 * Temporal's records instead (see `readOrder`). A worker with the order cached answers in a
 * few milliseconds and one replaying a long history in a few hundred, so one second is ample
 * for a live worker while keeping a worker-less read far below the API's deadline.
 */
export const LIVE_QUERY_TIMEOUT_MS = 1_000;

/**
 * Why an order was read from Temporal's records rather than by its query:
 * `closed` the workflow completed, and its result is its final state (no query needed);
 * `no-worker` no worker answered the query in time (down, deploying, scaled to zero);
 * `query-failed` a worker took the query but the workflow could not answer it.
 */
export type RecordsReason = 'closed' | 'no-worker' | 'query-failed';

/** What Temporal itself knows of an order, without a worker: `describe()` of its workflow. */
export interface OrderRecords {
  workflowStatus: WorkflowExecutionStatusName;
  startedAt: string;
  closedAt: string | null;
  taskQueue: string;
  historyLength: number;
  /** The OrderStatus search attribute: the status as of the last transition the workflow recorded. */
  orderStatus: OrderStatus | null;
  customerId: string | null;
  total: number | null;
  currency: string | null;
  /** From the memo: the request that created the order. */
  requestId: string | null;
}

export type OrderReading =
  | { source: 'query'; state: OrderState }
  | {
      source: 'records';
      reason: RecordsReason;
      records: OrderRecords;
      /** The state the workflow returned, for a completed workflow; null otherwise. */
      finalState: OrderState | null;
      /** Why the query did not answer, for the logs. */
      queryError?: unknown;
    };

const ORDER_STATUSES: readonly string[] = Object.values(OrderStatus);

function orderRecords(description: WorkflowExecutionDescription): OrderRecords {
  const attributes = description.typedSearchAttributes;
  const status = attributes.get(OrderStatusKey);
  const requestId = description.memo?.requestId;
  return {
    workflowStatus: description.status.name,
    startedAt: description.startTime.toISOString(),
    closedAt: description.closeTime?.toISOString() ?? null,
    taskQueue: description.taskQueue,
    historyLength: description.historyLength,
    orderStatus: status !== undefined && ORDER_STATUSES.includes(status) ? (status as OrderStatus) : null,
    customerId: attributes.get(CustomerIdKey) ?? null,
    total: attributes.get(OrderTotalKey) ?? null,
    currency: attributes.get(OrderCurrencyKey) ?? null,
    requestId: typeof requestId === 'string' ? requestId : null,
  };
}

/** A workflow result that looks like the order state (a result from an older saga might not). */
function isOrderState(value: unknown): value is OrderState {
  if (typeof value !== 'object' || value === null) return false;
  const state = value as Record<string, unknown>;
  return typeof state.orderId === 'string' && typeof state.status === 'string' && Array.isArray(state.transitions);
}

const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_FAILED_PRECONDITION = 9;

/**
 * Whether a failed state query should be answered from the records, and why; null when the
 * error must propagate: an unknown order (404), Temporal out of reach (503), or not a
 * Temporal error at all (a bug, 500). Describe has just answered, so a query that runs out of
 * time is waiting for a worker, not for Temporal.
 */
export function queryFailure(err: unknown): Exclude<RecordsReason, 'closed'> | null {
  if (err instanceof WorkflowNotFoundError) return null;
  if (err instanceof QueryNotRegisteredError || err instanceof QueryRejectedError) return 'query-failed';
  const code = grpcCode(err);
  if (code === GRPC_CANCELLED || code === GRPC_DEADLINE_EXCEEDED) return 'no-worker';
  // Servers that know the queue has had no poller for a while say so at once.
  if (code === GRPC_FAILED_PRECONDITION) {
    const message = err instanceof Error ? `${err.message} ${err.cause instanceof Error ? err.cause.message : ''}` : '';
    return /poller|worker/i.test(message) ? 'no-worker' : 'query-failed';
  }
  if (isUnavailable(err)) return null;
  return err instanceof ServiceError ? 'query-failed' : null;
}

/** An order as a listing shows it: its search attributes and its workflow's life cycle. */
export interface OrderSummary {
  orderId: string;
  status: string | null;
  customerId: string | null;
  total: number | null;
  currency: string | null;
  workflowStatus: WorkflowExecutionStatusName;
  startedAt: string;
  closedAt: string | null;
}

export interface OrderPage {
  orders: OrderSummary[];
  nextPageToken: Buffer | null;
}

type RawExecution = Awaited<ReturnType<Client['workflowService']['listWorkflowExecutions']>>['executions'][number];
type RawTimestamp = RawExecution['startTime'];

/** `temporal.api.enums.v1.WorkflowExecutionStatus`, by number. */
const WORKFLOW_STATUS: readonly WorkflowExecutionStatusName[] = [
  'UNSPECIFIED',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'CONTINUED_AS_NEW',
  'TIMED_OUT',
];

function orderSummary(raw: RawExecution): OrderSummary {
  const fields = raw.searchAttributes?.indexedFields ?? {};
  const attribute = <T>(name: string, is: (v: unknown) => v is T): T | null => {
    const payload = fields[name];
    const value: unknown = payload ? defaultPayloadConverter.fromPayload(payload) : null;
    return is(value) ? value : null;
  };
  const isString = (v: unknown): v is string => typeof v === 'string';
  const isNumber = (v: unknown): v is number => typeof v === 'number';
  const closedAt = timestamp(raw.closeTime);
  return {
    orderId: raw.execution?.workflowId ?? '',
    status: attribute(OrderStatusKey.name, isString),
    customerId: attribute(CustomerIdKey.name, isString),
    total: attribute(OrderTotalKey.name, isNumber),
    currency: attribute(OrderCurrencyKey.name, isString),
    workflowStatus: WORKFLOW_STATUS[raw.status ?? 0] ?? 'UNSPECIFIED',
    startedAt: (timestamp(raw.startTime) ?? new Date(0)).toISOString(),
    closedAt: closedAt?.toISOString() ?? null,
  };
}

function timestamp(ts: RawTimestamp): Date | null {
  if (!ts?.seconds) return null;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : ts.seconds.toNumber();
  return new Date(seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6));
}
