/**
 * Every call the API makes to Temporal, each under a deadline so a slow or unreachable
 * cluster turns into a prompt 503 instead of a hung request. Temporal is the only store:
 * the idempotency record is the workflow id plus the request fingerprint in its memo.
 */
import {
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowExecutionStatusName,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import {
  defaultPayloadConverter,
  type UpdateDefinition,
  WorkflowExecutionAlreadyStartedError,
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
import type { OrderInput } from '../workflows/order-types';

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

  async orderState(orderId: string): Promise<OrderState> {
    return this.within(() => this.client.workflow.getHandle(orderId).query(getOrderStateQuery));
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
