import { Router, type Request, type RequestHandler, type Response } from 'express';

type OperatorHandler = (req: Request, res: Response) => void | Promise<void>;

/**
 * A service's operator routes (audit listings, admin endpoints), mounted by `createServiceApp`
 * with the admin-token check in front of each one. Recorded rather than a plain Router because a
 * guard on a whole router would also refuse the business requests passing through it (same
 * paths, other methods), and a guard written per route could be forgotten: here it cannot be.
 */
export class OperatorRoutes {
  private readonly routes: { method: 'get' | 'put'; path: string; handler: OperatorHandler }[] = [];

  get(path: string, handler: OperatorHandler): this {
    this.routes.push({ method: 'get', path, handler });
    return this;
  }

  put(path: string, handler: OperatorHandler): this {
    this.routes.push({ method: 'put', path, handler });
    return this;
  }

  /** Every route, each behind `guard`. */
  router(guard: RequestHandler): Router {
    const router = Router();
    for (const { method, path, handler } of this.routes) router[method](path, guard, handler);
    return router;
  }
}

/** A reference service's routes, before `createServiceApp` adds health, faults and logging. */
export interface ServiceParts {
  /** Endpoints the clients call: subject to fault injection, no admin token. */
  business: Router;
  /** Audit listings and admin endpoints: never faulted, admin token required. */
  operator: OperatorRoutes;
}
