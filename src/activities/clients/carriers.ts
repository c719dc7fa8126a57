/** CarrierPort over HTTP, against a carrier reference service (or your own, same API). */
import { z } from 'zod';
import { AddressRejectedError, InvalidRequestError } from '../errors';
import type { Carrier } from '../../workflows/order-types';
import type { CarrierPort } from '../ports';
import { compensationResultSchema } from './compensation';
import { callDownstream, type DownstreamEndpoint } from './http';

const voidResult = compensationResultSchema('voided');
const shipment = z.object({
  shipmentId: z.string().min(1),
  trackingNumber: z.string().min(1),
  carrier: z.string().min(1),
});

/**
 * `downstream` names the carrier in errors (`primaryCarrier`, `backupCarrier`); `name` is the
 * carrier's own name, as the services run it (PRIMARY_CARRIER_NAME, BACKUP_CARRIER_NAME).
 */
export function createCarrierClient(options: {
  downstream: Carrier;
  name: string;
  baseUrl: string;
  timeoutMs: number;
}): CarrierPort {
  const endpoint: DownstreamEndpoint = {
    downstream: options.downstream,
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
  };
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
