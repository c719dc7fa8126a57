/**
 * The saga's activity proxies: one per downstream role, each with the policy declared for it
 * in `policies.ts` and routed to its downstream's task queue (the bulkheads, `task-queues.ts`).
 * Built inside the workflow because the queues are named after the order's own task queue.
 */
import { proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { OrderActivities } from '../activities';
import { ActivityPolicies } from './policies';
import { dependencyQueue, type Dependency } from './task-queues';

export function downstreamProxies() {
  const orderQueue = workflowInfo().taskQueue;
  const on = (dependency: Dependency, options: ActivityOptions) => proxyActivities<OrderActivities>({ ...options, taskQueue: dependencyQueue(orderQueue, dependency) });
  return {
    inventory: on('inventory', ActivityPolicies.inventory),
    fraudModel: on('fraud', ActivityPolicies.fraudModel),
    fraudRules: on('fraud', ActivityPolicies.fraudRules),
    payments: on('payments', ActivityPolicies.payments),
    primaryCarrier: on('shipping', ActivityPolicies.primaryCarrier),
    backupCarrier: on('shipping', ActivityPolicies.backupCarrier),
    carrierVoid: on('shipping', ActivityPolicies.carrierVoid),
    notifications: on('notifications', ActivityPolicies.notifications),
    alerts: on('alerts', ActivityPolicies.alerts),
    // Undo steps share their downstream's bulkhead, with the more patient compensation policy.
    undoInventory: on('inventory', ActivityPolicies.compensation),
    undoPayments: on('payments', ActivityPolicies.compensation),
  };
}
export type DownstreamProxies = ReturnType<typeof downstreamProxies>;
