import { z } from 'zod';
import { durationMs, url } from '../../config';

/**
 * Where the downstream systems are and how long one call may take. Defaults point at the
 * reference services' default ports on 127.0.0.1; point them at your real systems instead.
 */
export const downstreamSchema = z.object({
  INVENTORY_URL: url.default('http://127.0.0.1:4001'),
  PAYMENTS_URL: url.default('http://127.0.0.1:4002'),
  PRIMARY_CARRIER_URL: url.default('http://127.0.0.1:4003'),
  BACKUP_CARRIER_URL: url.default('http://127.0.0.1:4004'),
  FRAUD_URL: url.default('http://127.0.0.1:4005'),
  NOTIFICATIONS_URL: url.default('http://127.0.0.1:4006'),
  /** The same names the carrier services run under (the services' PRIMARY_CARRIER_NAME, BACKUP_CARRIER_NAME). */
  PRIMARY_CARRIER_NAME: z.string().min(1).default('swiftship'),
  BACKUP_CARRIER_NAME: z.string().min(1).default('steadypost'),
  INVENTORY_TIMEOUT_MS: durationMs.default(5000),
  PAYMENTS_TIMEOUT_MS: durationMs.default(10_000),
  PRIMARY_CARRIER_TIMEOUT_MS: durationMs.default(10_000),
  BACKUP_CARRIER_TIMEOUT_MS: durationMs.default(10_000),
  /** The model may be slow: keep this short so the rules scorer can take over. */
  FRAUD_MODEL_TIMEOUT_MS: durationMs.default(2000),
  FRAUD_RULES_TIMEOUT_MS: durationMs.default(2000),
  NOTIFICATIONS_TIMEOUT_MS: durationMs.default(5000),
});
export type DownstreamConfig = z.output<typeof downstreamSchema>;
