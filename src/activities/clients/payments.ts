/** PaymentsPort over HTTP, against the payments reference service (or your own, same API). */
import { z } from 'zod';
import { FraudSuspectedError, InsufficientFundsError, PaymentDeclinedError } from '../errors';
import type { PaymentsPort } from '../ports';
import { compensationResultSchema } from './compensation';
import { callDownstream, type DownstreamEndpoint } from './http';

const charge = z.object({
  chargeId: z.string().min(1),
  amount: z.int().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  status: z.enum(['captured', 'refunded']),
});
const refunded = compensationResultSchema('refunded');

export function createPaymentsClient(options: { baseUrl: string; timeoutMs: number }): PaymentsPort {
  const endpoint: DownstreamEndpoint = { downstream: 'payments', ...options };
  return {
    async capture(req, opts) {
      const body = { orderId: req.orderId, customerId: req.customerId, amount: req.amount, currency: req.currency };
      const result = await callDownstream(endpoint, {
        method: 'POST',
        path: '/charges',
        body,
        ...opts,
        response: charge,
        rejections: {
          payment_declined: PaymentDeclinedError,
          insufficient_funds: InsufficientFundsError,
          fraud_suspected: FraudSuspectedError,
        },
      });
      return { chargeId: result.chargeId, amount: result.amount, currency: result.currency, status: result.status };
    },
    refund(req, opts) {
      const body = { orderId: req.orderId, captureKey: req.captureKey };
      return callDownstream(endpoint, { method: 'POST', path: '/refunds', body, ...opts, response: refunded });
    },
  };
}
