/**
 * Bulkheads by task queue: every downstream has its own activity task queue, named after the
 * order's queue (`order-fulfillment.payments`), served by its own worker with its own
 * concurrency limit. A dependency that hangs fills only its own slots; the other steps keep
 * running. Workflow-safe (no imports): the saga routes each activity proxy with it.
 */
export const DEPENDENCIES = ['inventory', 'payments', 'shipping', 'fraud', 'notifications', 'alerts'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/** The activity task queue of `dependency` for orders running on `orderQueue`. */
export function dependencyQueue(orderQueue: string, dependency: Dependency): string {
  return `${orderQueue}.${dependency}`;
}
