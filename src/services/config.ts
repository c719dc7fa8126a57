import path from 'node:path';
import { z } from 'zod';
import { durationMs, port } from '../config';
import { PROJECT_ROOT } from '../paths';

/** Where the reference downstream services listen (one process, one port per service) and keep their data. */
export const servicesSchema = z.object({
  SERVICES_HOST: z.string().min(1).default('127.0.0.1'),
  INVENTORY_PORT: port.default(4001),
  PAYMENTS_PORT: port.default(4002),
  PRIMARY_CARRIER_PORT: port.default(4003),
  BACKUP_CARRIER_PORT: port.default(4004),
  FRAUD_PORT: port.default(4005),
  NOTIFICATIONS_PORT: port.default(4006),
  /** When set, the services use this PostgreSQL database instead of the embedded one. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a PostgreSQL URL, e.g. postgres://user:pass@127.0.0.1:5432/orders')
    .optional(),
  /** Folder of the embedded database (git-ignored `.data/` by default). */
  SERVICES_DATA_DIR: z
    .string()
    .min(1)
    .default(path.join(PROJECT_ROOT, '.data', 'reference-services')),
  PRIMARY_CARRIER_NAME: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,40}$/, 'expected a lowercase name, e.g. swiftship')
    .default('swiftship'),
  BACKUP_CARRIER_NAME: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,40}$/, 'expected a lowercase name, e.g. steadypost')
    .default('steadypost'),
  /** How long the fraud model takes for `@slow.test` emails. */
  FRAUD_MODEL_SLOW_MS: durationMs.default(3000),
});
export type ServicesConfig = z.output<typeof servicesSchema>;

export function serviceUrls(config: ServicesConfig): Record<string, string> {
  const base = (p: number) => `http://${config.SERVICES_HOST}:${p}`;
  return {
    'Inventory service': base(config.INVENTORY_PORT),
    'Payments service': base(config.PAYMENTS_PORT),
    'Primary carrier': base(config.PRIMARY_CARRIER_PORT),
    'Backup carrier': base(config.BACKUP_CARRIER_PORT),
    'Fraud scoring': base(config.FRAUD_PORT),
    Notifications: base(config.NOTIFICATIONS_PORT),
  };
}
