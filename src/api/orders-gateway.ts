/**
 * Every call the API makes to Temporal, each under a deadline so a slow or unreachable
 * cluster turns into a prompt 503 instead of a hung request. Temporal is the only store:
 * the idempotency record is the workflow id plus the request fingerprint in its memo.
 */
import { type Client, type WorkflowExecutionDescription, type WorkflowExecutionInfo, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { type UpdateDefinition, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { getOrderStateQuery, ORDER_WORKFLOW_TYPE, orderSearchAttributes, type OrderState, retryParkedOrderUpdate, type RetryRequest } from '../workflows/definitions';
import type { OrderInput } from '../workflows/order-types';
import { OrderStatusKey } from '../workflows/search-attributes';

export interface OrderMemo {
  /** Fingerprint of the canonical request body that created the order. */
  requestFingerprint: string;
  /** Request id of the API request that created the order (see the API's logs). */
  requestId: string;
}

export type StartOutcome =
  | { started: true }
  | { started: false; fingerprint: string | null; requestId: string | null; status: string | null };

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
  async steer<Arg>(orderId: string, update: UpdateDefinition<OrderState, [Arg]>, arg: Arg, waitMs: number): Promise<SteerOutcome<OrderState>> {
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

  /** One page of orders matching a visibility query. */
  async listOrders(query: string, pageSize: number, pageToken: Buffer | undefined): Promise<{ executions: WorkflowExecutionInfo[]; nextPageToken: Buffer | null }> {
    const response = await this.within(() =>
      this.client.workflowService.listWorkflowExecutions({ namespace: this.namespace, query, pageSize, nextPageToken: pageToken ?? null }),
    );
    const executions = await Promise.all(
      response.executions.map((raw) => executionInfoFromRaw(raw, this.client.options.loadedDataConverter, raw, this.namespace)),
    );
    const token = response.nextPageToken;
    return { executions, nextPageToken: token && token.length > 0 ? Buffer.from(token) : null };
  }

  /** Resolves when Temporal answers and the namespace exists; rejects otherwise. */
  async checkNamespace(timeoutMs: number): Promise<void> {
    await this.within(() => this.client.workflowService.describeNamespace({ namespace: this.namespace }), timeoutMs);
  }
}
