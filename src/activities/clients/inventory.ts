/** InventoryPort over HTTP, against the inventory reference service (or your own, same API). */
import { z } from 'zod';
import { InvalidRequestError, OutOfStockError } from '../errors';
import type { InventoryPort, Reservation } from '../ports';
import { compensationResultSchema } from './compensation';
import { callDownstream, type DownstreamEndpoint } from './http';

const reservation = z.object({
  reservationId: z.string().min(1),
  status: z.enum(['reserved', 'released', 'committed']),
});
const released = compensationResultSchema('released');

export function createInventoryClient(options: { baseUrl: string; timeoutMs: number }): InventoryPort {
  const endpoint: DownstreamEndpoint = { downstream: 'inventory', ...options };
  const toReservation = (r: z.output<typeof reservation>): Reservation => ({
    reservationId: r.reservationId,
    status: r.status,
  });
  return {
    async reserve(req, opts) {
      const body = { orderId: req.orderId, items: req.items.map((i) => ({ sku: i.sku, quantity: i.quantity })) };
      const result = await callDownstream(endpoint, {
        method: 'POST',
        path: '/reservations',
        body,
        ...opts,
        response: reservation,
        rejections: { out_of_stock: OutOfStockError, reservation_voided: InvalidRequestError },
      });
      return toReservation(result);
    },
    release(req, opts) {
      const body = { orderId: req.orderId, reservationKey: req.reservationKey };
      return callDownstream(endpoint, {
        method: 'POST',
        path: '/reservations/release',
        body,
        ...opts,
        response: released,
      });
    },
    async commit(req, opts) {
      const body = { orderId: req.orderId, reservationKey: req.reservationKey };
      return toReservation(
        await callDownstream(endpoint, {
          method: 'POST',
          path: '/reservations/commit',
          body,
          ...opts,
          response: reservation,
        }),
      );
    },
  };
}
