/**
 * The benchmark's ceiling: a workflow of the saga's shape (six sequential activities) whose
 * activities do nothing. Whatever it costs is what Temporal itself costs on this machine for
 * that shape: no HTTP, no database, no state machine. Default options except the one timeout
 * Temporal requires; the activities run on the workflow's own task queue.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { NoopActivities } from './noop-worker';

/** The saga's six forward steps, in order, so a history reads like an order's. */
export const NOOP_STEPS = [
  'reserveInventory',
  'scoreFraud',
  'capturePayment',
  'dispatchShipment',
  'commitInventory',
  'notifyCustomer',
] as const;

const { step } = proxyActivities<NoopActivities>({ startToCloseTimeout: '10 seconds' });

export async function noopOrder(input: { orderId: string }): Promise<{ orderId: string; steps: number }> {
  let steps = 0;
  for (const name of NOOP_STEPS) {
    await step({ orderId: input.orderId, name });
    steps += 1;
  }
  return { orderId: input.orderId, steps };
}
