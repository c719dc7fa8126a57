/**
 * Inventory service.
 *   POST /reservations          {orderId, items:[{sku, quantity}]}
 *                               Idempotency-Key → 201 reservation | 409 out_of_stock
 *   POST /reservations/release  {orderId, reservationKey}
 *                               Idempotency-Key → 200 {status: released|not_found, id}
 *   POST /reservations/commit   {orderId, reservationKey}
 *                               Idempotency-Key → 200 {reservationId, status: committed}
 *   GET  /reservations?orderId= · GET /stock · GET /stock/:sku · PUT /stock/:sku {available, name?} (admin)
 *   (the GET listings and PUT /stock are operator routes: admin token required, see http/guards.ts)
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Database } from '../db/database';
import { OperatorRoutes, type ServiceParts } from '../service-parts';
import { idempotentHandler } from '../http/idempotency';
import { ServiceError } from '../http/outcome';
import { idempotencyKeyRef, itemLines, orderId, sku } from '../http/schemas';
import { orderIdFilter, parseInput } from '../http/validation';
import { commit, listReservations, listStock, release, reserve, setStock } from './ledger';

const reserveBody = z.strictObject({ orderId, items: itemLines });
const reservationRef = z.strictObject({ orderId, reservationKey: idempotencyKeyRef });
const stockBody = z.strictObject({
  available: z.int().min(0).max(10_000_000),
  name: z.string().min(1).max(200).optional(),
});

export function inventoryService(db: Database): ServiceParts {
  const business = Router();
  business.post(
    '/reservations',
    idempotentHandler({
      db,
      scope: 'inventory.reserve',
      schema: reserveBody,
      effect: (tx, input, key) => reserve(tx, input, key),
    }),
  );
  business.post(
    '/reservations/release',
    idempotentHandler({
      db,
      scope: 'inventory.release',
      schema: reservationRef,
      effect: (tx, input) => release(tx, input),
    }),
  );
  business.post(
    '/reservations/commit',
    idempotentHandler({
      db,
      scope: 'inventory.commit',
      schema: reservationRef,
      effect: (tx, input) => commit(tx, input),
    }),
  );

  const operator = new OperatorRoutes();
  operator.get(
    '/reservations',
    async (req, res) => void res.json({ reservations: await listReservations(db, orderIdFilter(req)) }),
  );
  operator.get('/stock', async (_req, res) => void res.json({ stock: await listStock(db, null) }));
  operator.get('/stock/:sku', async (req, res) => {
    const wanted = String(req.params.sku);
    const [level] = await listStock(db, wanted);
    if (!level) throw new ServiceError(404, 'sku_not_found', `unknown SKU ${wanted}`);
    res.json(level);
  });
  operator.put('/stock/:sku', async (req, res) => {
    const input = parseInput(stockBody, req.body);
    const target = parseInput(sku, req.params.sku, 'SKU');
    await setStock(db, { sku: target, ...input });
    const [level] = await listStock(db, target);
    res.json(level);
  });
  return { business, operator };
}
