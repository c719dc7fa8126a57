import { z } from 'zod';
import { port } from '../config';

/** Where the reference downstream services listen (one process, one port per service). */
export const servicesSchema = z.object({
  SERVICES_HOST: z.string().min(1).default('127.0.0.1'),
  INVENTORY_PORT: port.default(4001),
  PAYMENTS_PORT: port.default(4002),
  CARRIER_PRIMARY_PORT: port.default(4003),
  CARRIER_BACKUP_PORT: port.default(4004),
  FRAUD_PORT: port.default(4005),
  NOTIFICATIONS_PORT: port.default(4006),
});
export type ServicesConfig = z.output<typeof servicesSchema>;

export function serviceUrls(config: ServicesConfig): Record<string, string> {
  const base = (p: number) => `http://${config.SERVICES_HOST}:${p}`;
  return {
    'Inventory service': base(config.INVENTORY_PORT),
    'Payments service': base(config.PAYMENTS_PORT),
    'Primary carrier': base(config.CARRIER_PRIMARY_PORT),
    'Backup carrier': base(config.CARRIER_BACKUP_PORT),
    'Fraud scoring': base(config.FRAUD_PORT),
    Notifications: base(config.NOTIFICATIONS_PORT),
  };
}
