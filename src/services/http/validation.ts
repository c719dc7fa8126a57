import type { Request } from 'express';
import type { z } from 'zod';
import { ServiceError } from './outcome';

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'request body'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ServiceError(400, 'invalid_request', `invalid ${what}`, {
    issues: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  });
}

/** Optional `?orderId=` filter of the audit listings. */
export function orderIdFilter(req: Request): string | null {
  const value = req.query.orderId;
  return typeof value === 'string' && value.length > 0 ? value : null;
}
