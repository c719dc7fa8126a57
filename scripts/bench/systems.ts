/**
 * The two systems the benchmark compares, behind one interface: how an order is submitted and
 * how its completion is awaited.
 *
 * - ceiling: the no-op workflow started directly with `client.workflow.start`;
 * - saga: a signed `POST /orders` through the API (202 = submitted); the workflow id is the
 *   order id (`order-<Idempotency-Key>`, src/api/schemas.ts).
 *
 * Both await completion the same way, with the same Temporal client: the workflow's result
 * (a long poll on its history, answered when the workflow closes).
 */
import type { Client } from '@temporalio/client';
import type { OrderState } from '../../src/workflows/definitions';
import { OrderStatus } from '../../src/workflows/order-status';
import type { OrdersApi, PlannedOrder } from '../chaos/orders';
import { NOOP_STEPS, type noopOrder } from './noop-workflow';

export const SYSTEMS = ['ceiling', 'saga'] as const;
export type SystemName = (typeof SYSTEMS)[number];

export interface System {
  name: SystemName;
  /** Resolves with the workflow id once the submission is accepted; throws when it is not. */
  submit(order: PlannedOrder): Promise<string>;
  /** Resolves once the workflow completed as it should; throws when it ended otherwise or `timeoutMs` passed. */
  completed(workflowId: string, timeoutMs: number): Promise<void>;
}

export const NOOP_TASK_QUEUE = 'bench-noop';

async function resultWithin<T>(client: Client, workflowId: string, timeoutMs: number): Promise<T> {
  // The deadline ends the long poll itself, so a timed-out wait leaves no call behind.
  return client.withDeadline(
    Date.now() + timeoutMs,
    () => client.workflow.getHandle(workflowId).result() as Promise<T>,
  );
}

export function ceilingSystem(client: Client): System {
  return {
    name: 'ceiling',
    async submit(order) {
      const workflowId = `bench-noop-${order.key}`;
      // The order itself as input, so both systems carry a payload of the same size.
      await client.workflow.start<typeof noopOrder>('noopOrder', {
        taskQueue: NOOP_TASK_QUEUE,
        workflowId,
        args: [{ orderId: workflowId, ...order.request }],
      });
      return workflowId;
    },
    async completed(workflowId, timeoutMs) {
      const result = await resultWithin<{ steps: number }>(client, workflowId, timeoutMs);
      if (result.steps !== NOOP_STEPS.length) throw new Error(`${workflowId} ran ${result.steps} steps`);
    },
  };
}

export function sagaSystem(client: Client, api: OrdersApi): System {
  return {
    name: 'saga',
    async submit(order) {
      const { orderId, lastStatus } = await api.submit(order);
      if (!orderId) throw new Error(`POST /orders for ${order.key} answered ${lastStatus ?? 'nothing'}`);
      return orderId;
    },
    async completed(workflowId, timeoutMs) {
      const state = await resultWithin<OrderState>(client, workflowId, timeoutMs);
      if (state.status !== OrderStatus.COMPLETED) throw new Error(`${workflowId} ended ${state.status}`);
    },
  };
}
