/**
 * Payments service (outcomes by customer id: see ./outcomes).
 *   POST /charges  {orderId, customerId, amount, currency}  Idempotency-Key
 *                  → 201 charge | 402 {payment_declined|insufficient_funds|fraud_suspected}
 *   POST /refunds  {orderId, captureKey}                    Idempotency-Key → 200 {status: refunded|not_found, id}
 *   GET  /charges?orderId= · GET /refunds?orderId=
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Database } from '../db/database';
import { idempotentHandler } from '../http/idempotency';
import { amount, currency, idempotencyKeyRef, orderId } from '../http/schemas';
import { orderIdFilter } from '../http/validation';
import { OperatorRoutes, type ServiceParts } from '../service-parts';
import { capture, listCharges, listRefunds, refund } from './ledger';

const captureBody = z.strictObject({ orderId, customerId: z.string().min(1).max(200), amount, currency });
const refundBody = z.strictObject({ orderId, captureKey: idempotencyKeyRef });

export function paymentsService(db: Database): ServiceParts {
  const business = Router();
  business.post(
    '/charges',
    idempotentHandler({
      db,
      scope: 'payments.capture',
      schema: captureBody,
      effect: (tx, input, key) => capture(tx, input, key),
    }),
  );
  business.post(
    '/refunds',
    idempotentHandler({
      db,
      scope: 'payments.refund',
      schema: refundBody,
      effect: (tx, input, key) => refund(tx, input, key),
    }),
  );

  const operator = new OperatorRoutes();
  operator.get('/charges', async (req, res) => void res.json({ charges: await listCharges(db, orderIdFilter(req)) }));
  operator.get('/refunds', async (req, res) => void res.json({ refunds: await listRefunds(db, orderIdFilter(req)) }));
  return { business, operator };
}
