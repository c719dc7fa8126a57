/**
 * The HTTP implementation of every port. To use a real system, replace its client module
 * (or point its *_URL at a service that speaks the same API: docs/reference-services.md).
 */
import type { DownstreamPorts } from '../ports';
import { createWebhookAlerts } from './alerts';
import { createCarrierClient } from './carriers';
import type { DownstreamConfig } from './config';
import { createFraudClient } from './fraud';
import { createInventoryClient } from './inventory';
import { createNotificationsClient } from './notifications';
import { createPaymentsClient } from './payments';

export { downstreamSchema, type DownstreamConfig } from './config';
export { DownstreamContractError, parseRetryAfter } from './http';
export {
  createCarrierClient,
  createWebhookAlerts,
  createFraudClient,
  createInventoryClient,
  createNotificationsClient,
  createPaymentsClient,
};

export function createHttpPorts(config: DownstreamConfig): DownstreamPorts {
  return {
    inventory: createInventoryClient({ baseUrl: config.INVENTORY_URL, timeoutMs: config.INVENTORY_TIMEOUT_MS }),
    payments: createPaymentsClient({ baseUrl: config.PAYMENTS_URL, timeoutMs: config.PAYMENTS_TIMEOUT_MS }),
    primaryCarrier: createCarrierClient({
      downstream: 'primaryCarrier',
      name: config.PRIMARY_CARRIER_NAME,
      baseUrl: config.PRIMARY_CARRIER_URL,
      timeoutMs: config.PRIMARY_CARRIER_TIMEOUT_MS,
    }),
    backupCarrier: createCarrierClient({
      downstream: 'backupCarrier',
      name: config.BACKUP_CARRIER_NAME,
      baseUrl: config.BACKUP_CARRIER_URL,
      timeoutMs: config.BACKUP_CARRIER_TIMEOUT_MS,
    }),
    fraudModel: createFraudClient({
      scorer: 'model',
      baseUrl: config.FRAUD_URL,
      timeoutMs: config.FRAUD_MODEL_TIMEOUT_MS,
    }),
    fraudRules: createFraudClient({
      scorer: 'rules',
      baseUrl: config.FRAUD_URL,
      timeoutMs: config.FRAUD_RULES_TIMEOUT_MS,
    }),
    notifications: createNotificationsClient({
      baseUrl: config.NOTIFICATIONS_URL,
      timeoutMs: config.NOTIFICATIONS_TIMEOUT_MS,
    }),
  };
}
