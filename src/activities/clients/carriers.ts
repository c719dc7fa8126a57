/** CarrierPort over HTTP, against a carrier reference service (or your own, same API). */
import { z } from 'zod';
import { AddressRejectedError, InvalidRequestError } from '../errors';
import type { CarrierPort } from '../ports';
import { compensationResultSchema } from './compensation';
import { callDownstream, type DownstreamEndpoint } from './http';

const voidResult = compensationResultSchema('voided');
const shipment = z.object({ shipmentId: z.string().min(1), trackingNumber: z.string().min(1), carrier: z.string().min(1) });

/** `name` identifies the carrier in errors and results (the services' CARRIER_*_NAME). */
export function createCarrierClient(options: { name: string; baseUrl: string; timeoutMs: number }): CarrierPort {
  const endpoint: DownstreamEndpoint = { downstream: `carrier:${options.name}`, baseUrl: options.baseUrl, timeoutMs: options.timeoutMs };
  return {
    name: options.name,
    async dispatch(req, opts) {
      const { address } = req;
      const body = {
        orderId: req.orderId,
        address: {
          name: address.name,
          line1: address.line1,
          ...(address.line2 === undefined ? {} : { line2: address.line2 }),
          city: address.city,
          postalCode: address.postalCode,
          country: address.country,
        },
        items: req.items.map((i) => ({ sku: i.sku, quantity: i.quantity })),
      };
      const result = await callDownstream(endpoint, {
        method: 'POST',
        path: '/shipments',
        body,
        ...opts,
        response: shipment,
        // shipment_voided: this key was given up for another carrier; never retried.
        rejections: { address_rejected: AddressRejectedError, shipment_voided: InvalidRequestError },
      });
      return { shipmentId: result.shipmentId, trackingNumber: result.trackingNumber, carrier: result.carrier };
    },
    async voidShipment(req, opts) {
      return callDownstream(endpoint, {
        method: 'POST',
        path: '/shipments/void',
        body: { orderId: req.orderId, shipmentKey: req.shipmentKey },
        ...opts,
        response: voidResult,
      });
    },
  };
}
