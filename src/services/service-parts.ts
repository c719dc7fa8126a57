import type { Router } from 'express';

/** A reference service's routes, before `createServiceApp` adds health, faults and logging. */
export interface ServiceParts {
  /** Endpoints the clients call: subject to fault injection. */
  business: Router;
  /** Audit listings and admin endpoints: never faulted. */
  operator: Router;
}
