/**
 * The reference downstream services: one process, one Express app and port per service,
 * sharing one database. `startReferenceServices` is the in-process entry (tests bind port 0);
 * `runReferenceServices` is `npm run services` (config from the environment, signals).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { startTracing } from '../tracing';
import { carrierService } from './carriers/routes';
import { DEV_SERVICES_ADMIN_TOKEN, servicesSchema, warnDevCredentials } from './config';
import { openDatabase, type Database } from './db/database';
import { migrate } from './db/migrations';
import { FaultController } from './faults';
import { fraudService } from './fraud/routes';
import { createServiceApp } from './http/app';
import { hostnameOf } from './http/guards';
import { seedCatalogue } from './inventory/catalogue';
import { inventoryService } from './inventory/routes';
import { notificationsService } from './notifications/routes';
import { paymentsService } from './payments/routes';
import type { ServiceParts } from './service-parts';

export const SERVICE_NAMES = [
  'inventory',
  'payments',
  'primaryCarrier',
  'backupCarrier',
  'fraud',
  'notifications',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface ReferenceServicesOptions {
  /** Opened by the caller, who also closes it. Migrated and seeded here (idempotently). */
  db: Database;
  /** Loopback by default. */
  host?: string;
  /** 0 (any free port) for each service not given. */
  ports?: Partial<Record<ServiceName, number>>;
  carrierNames?: { primaryCarrier: string; backupCarrier: string };
  fraudModelSlowMs?: number;
  /** Opens the fault controls and operator routes; `DEV_SERVICES_ADMIN_TOKEN` by default. */
  adminToken?: string;
  /** Accepted in `Host` besides the loopback names and `host` itself. */
  allowedHosts?: readonly string[];
  /** Silent by default. */
  log?: Logger;
}

export interface ReferenceServices {
  /** Base URL per service, e.g. `http://127.0.0.1:41234`. */
  urls: Record<ServiceName, string>;
  carrierNames: { primaryCarrier: string; backupCarrier: string };
  /** The same controls as `PUT /_faults` (no token needed in process), for in-process use. */
  faults: Record<ServiceName, FaultController>;
  /** Stops the servers, dropping open (e.g. hanging) connections. Leaves the database open. */
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startReferenceServices(options: ReferenceServicesOptions): Promise<ReferenceServices> {
  const { db } = options;
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? pino({ level: 'silent' });
  const carrierNames = options.carrierNames ?? { primaryCarrier: 'swiftship', backupCarrier: 'steadypost' };
  const adminToken = options.adminToken ?? DEV_SERVICES_ADMIN_TOKEN;
  // The bind address is a name the services' own URLs use (and a literal address no rebinding page can own).
  const bindName = hostnameOf(host.includes(':') ? `[${host}]` : host);
  const allowedHosts = [...(bindName ? [bindName] : []), ...(options.allowedHosts ?? [])];
  await migrate(db);
  await seedCatalogue(db);

  const parts: Record<ServiceName, { name: string; parts: ServiceParts }> = {
    inventory: { name: 'inventory', parts: inventoryService(db) },
    payments: { name: 'payments', parts: paymentsService(db) },
    primaryCarrier: {
      name: `carrier-${carrierNames.primaryCarrier}`,
      parts: carrierService(db, carrierNames.primaryCarrier),
    },
    backupCarrier: {
      name: `carrier-${carrierNames.backupCarrier}`,
      parts: carrierService(db, carrierNames.backupCarrier),
    },
    fraud: { name: 'fraud', parts: fraudService({ modelSlowMs: options.fraudModelSlowMs ?? 3000 }) },
    notifications: { name: 'notifications', parts: notificationsService(db) },
  };

  const servers: Server[] = [];
  const urls = {} as Record<ServiceName, string>;
  const faults = {} as Record<ServiceName, FaultController>;
  try {
    for (const name of SERVICE_NAMES) {
      faults[name] = new FaultController();
      const app = createServiceApp({
        service: parts[name].name,
        log,
        faults: faults[name],
        adminToken,
        allowedHosts,
        ...parts[name].parts,
      });
      const server = createServer(app);
      servers.push(server);
      const port = await listen(server, options.ports?.[name] ?? 0, host);
      urls[name] = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    }
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    throw err;
  }
  return { urls, carrierNames, faults, close: () => Promise.all(servers.map(closeServer)).then(() => undefined) };
}

/** `npm run services`: the reference services on their configured ports until SIGINT/SIGTERM. */
export async function runReferenceServices(): Promise<void> {
  const config = loadConfig(servicesSchema);
  const log = createLogger('services');
  warnDevCredentials(config, log);
  const tracing = startTracing('services');
  if (tracing) log.info({ serviceName: tracing.serviceName }, 'tracing on: exporting spans over OTLP');
  const db = await openDatabase(
    config.DATABASE_URL
      ? { kind: 'postgres', url: config.DATABASE_URL }
      : { kind: 'directory', path: config.SERVICES_DATA_DIR },
  );
  log.info({ database: config.DATABASE_URL ? 'postgres' : `pglite:${config.SERVICES_DATA_DIR}` }, 'database open');
  let services: ReferenceServices;
  try {
    services = await startReferenceServices({
      db,
      host: config.SERVICES_HOST,
      ports: {
        inventory: config.INVENTORY_PORT,
        payments: config.PAYMENTS_PORT,
        primaryCarrier: config.PRIMARY_CARRIER_PORT,
        backupCarrier: config.BACKUP_CARRIER_PORT,
        fraud: config.FRAUD_PORT,
        notifications: config.NOTIFICATIONS_PORT,
      },
      carrierNames: { primaryCarrier: config.PRIMARY_CARRIER_NAME, backupCarrier: config.BACKUP_CARRIER_NAME },
      fraudModelSlowMs: config.FRAUD_MODEL_SLOW_MS,
      adminToken: config.SERVICES_ADMIN_TOKEN,
      allowedHosts: config.SERVICES_ALLOWED_HOSTS,
      log,
    });
  } catch (err) {
    await db.close();
    throw err;
  }
  log.info({ urls: services.urls }, 'reference services listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    services
      .close()
      .then(() => db.close())
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
