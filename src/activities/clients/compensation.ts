import { z } from 'zod';

/** The body of a compensation answer: what was undone (`done`), or `not_found` when nothing had been done. */
export function compensationResultSchema<Done extends 'released' | 'refunded' | 'voided'>(done: Done) {
  return z.discriminatedUnion('status', [
    z.object({ status: z.literal('not_found'), id: z.null() }),
    z.object({ status: z.literal(done), id: z.string().min(1) }),
  ]);
}
