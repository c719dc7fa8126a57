import express from 'express';
import type { Server } from 'node:http';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { servicesSchema } from './config';

export function runReferenceServices(): Promise<void> {
  const config = loadConfig(servicesSchema);
  const log = createLogger('services');
  const ports = [config.INVENTORY_PORT, config.PAYMENTS_PORT, config.CARRIER_PRIMARY_PORT, config.CARRIER_BACKUP_PORT, config.FRAUD_PORT, config.NOTIFICATIONS_PORT];
  const servers: Server[] = ports.map((p) => {
    const app = express();
    app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
    return app.listen(p, config.SERVICES_HOST);
  });
  log.info({ ports }, 'reference services listening');
  const stop = () => {
    for (const s of servers) s.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return Promise.resolve();
}
