/**
 * The HTTP implementation of every port. To use a real system, replace its client module
 * (or point its *_URL at a service that speaks the same API: docs/reference-services.md).
 */
import type { DownstreamPorts } from '../ports';
import { createCarrierClient } from './carriers';
import type { DownstreamConfig } from './config';
import { createFraudClient } from './fraud';
import { createInventoryClient } from './inventory';
import { createNotificationsClient } from './notifications';
import { createPaymentsClient } from './payments';

export { downstreamSchema, type DownstreamConfig } from './config';
export { DownstreamContractError, parseRetryAfter } from './http';
export { createCarrierClient, createFraudClient, createInventoryClient, createNotificationsClient, createPaymentsClient };

export function createHttpPorts(config: DownstreamConfig): DownstreamPorts {
  return {
    inventory: createInventoryClient({ baseUrl: config.INVENTORY_URL, timeoutMs: config.INVENTORY_TIMEOUT_MS }),
    payments: createPaymentsClient({ baseUrl: config.PAYMENTS_URL, timeoutMs: config.PAYMENTS_TIMEOUT_MS }),
    carriers: {
      primary: createCarrierClient({ name: config.CARRIER_PRIMARY_NAME, baseUrl: config.CARRIER_PRIMARY_URL, timeoutMs: config.CARRIER_TIMEOUT_MS }),
      backup: createCarrierClient({ name: config.CARRIER_BACKUP_NAME, baseUrl: config.CARRIER_BACKUP_URL, timeoutMs: config.CARRIER_TIMEOUT_MS }),
    },
    fraud: {
      model: createFraudClient({ scorer: 'model', baseUrl: config.FRAUD_URL, timeoutMs: config.FRAUD_MODEL_TIMEOUT_MS }),
      rules: createFraudClient({ scorer: 'rules', baseUrl: config.FRAUD_URL, timeoutMs: config.FRAUD_RULES_TIMEOUT_MS }),
    },
    notifications: createNotificationsClient({ baseUrl: config.NOTIFICATIONS_URL, timeoutMs: config.NOTIFICATIONS_TIMEOUT_MS }),
  };
}
