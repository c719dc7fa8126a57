import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { durationMs, port } from '../config';
import { PROJECT_ROOT } from '../paths';
import { hostnameOf } from './http/guards';

/**
 * Well-known admin token so `npm start`, the tests and local tools reach the fault controls and
 * the operator routes on a fresh checkout. The services log a warning while it is in use; set
 * your own anywhere else.
 */
export const DEV_SERVICES_ADMIN_TOKEN = 'dev-services-admin-token';

/** Comma-separated hostnames (a port, if given, is ignored), normalised as `hostnameOf` does. */
const hostnames = z.string().transform((value, ctx) => {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const names = entries.map(hostnameOf);
  const bad = entries.filter((_, i) => names[i] === null).map((entry) => JSON.stringify(entry));
  if (bad.length > 0) {
    const message = `expected comma-separated hostnames such as services or orders.internal, not ${bad.join(', ')}`;
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  }
  return names as string[];
});

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
  /** `Authorization: Bearer <this>` opens `/_faults`, `PUT /stock` and the audit listings. */
  SERVICES_ADMIN_TOKEN: z
    .string()
    .min(16, 'expected at least 16 characters')
    .regex(/^\S+$/, 'expected a token without spaces')
    .default(DEV_SERVICES_ADMIN_TOKEN),
  /** Names accepted in `Host` besides localhost, 127.0.0.1, ::1 and SERVICES_HOST (against DNS rebinding). */
  SERVICES_ALLOWED_HOSTS: hostnames.default([]),
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

/** The variables still holding the well-known development credentials (empty in a real deployment). */
export function servicesDevCredentials(config: ServicesConfig): string[] {
  return config.SERVICES_ADMIN_TOKEN === DEV_SERVICES_ADMIN_TOKEN ? ['SERVICES_ADMIN_TOKEN'] : [];
}

/** Logs at start, like the API, while a development credential is in use. */
export function warnDevCredentials(config: ServicesConfig, log: Logger): void {
  const development = servicesDevCredentials(config);
  if (development.length > 0) {
    log.warn(
      { variables: development },
      `${development.join(', ')}: well-known development values in use; set your own outside local development`,
    );
  }
}
