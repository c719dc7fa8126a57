/** FraudPort over HTTP: one client per scorer of the fraud reference service (`model` or `rules`). */
import { z } from 'zod';
import type { FraudPort } from '../ports';
import { callDownstream, type DownstreamEndpoint } from './http';

export function createFraudClient(options: {
  scorer: 'model' | 'rules';
  baseUrl: string;
  timeoutMs: number;
}): FraudPort {
  const endpoint: DownstreamEndpoint = {
    // The downstream's one name (breakers, bulkheads, failure details): fraudModel or fraudRules.
    downstream: options.scorer === 'model' ? 'fraudModel' : 'fraudRules',
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
  };
  const assessment = z.object({
    score: z.number().min(0).max(1),
    reasons: z.array(z.string()),
    scorer: z.literal(options.scorer),
  });
  return {
    async score(req, opts) {
      const body = {
        orderId: req.orderId,
        customerId: req.customerId,
        email: req.email,
        total: req.total,
        currency: req.currency,
        country: req.country,
        itemCount: req.itemCount,
      };
      const result = await callDownstream(endpoint, {
        method: 'POST',
        path: `/score/${options.scorer}`,
        body,
        ...opts,
        response: assessment,
      });
      return { score: result.score, reasons: result.reasons, scorer: result.scorer };
    },
  };
}
