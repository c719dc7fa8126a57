/**
 * Reference services in-process for a test file: one database per file (PGlite in memory,
 * or a fresh schema on PostgreSQL when TEST_DATABASE_URL is set), servers on free loopback ports.
 * Tests isolate themselves with unique order ids, keys and SKUs instead of truncating.
 * `http` sends the admin token on every call (business routes ignore it), so listings and controls answer.
 */
import { randomUUID } from 'node:crypto';
import { downstreamSchema, type DownstreamConfig } from '../../src/activities/clients';
import { loadConfig } from '../../src/config';
import { DEV_SERVICES_ADMIN_TOKEN } from '../../src/services/config';
import { openDatabase, type Database } from '../../src/services/db/database';
import type { FaultSettings } from '../../src/services/faults';
import { startReferenceServices, type ReferenceServices } from '../../src/services/server';

export interface TestServices extends ReferenceServices {
  db: Database;
  stop(): Promise<void>;
}

/** The services these tests start run under the development token: the one local tools send too. */
export const ADMIN_TOKEN = DEV_SERVICES_ADMIN_TOKEN;
export const adminAuth = { authorization: `Bearer ${ADMIN_TOKEN}` } as const;

export async function startTestServices(
  options: { fraudModelSlowMs?: number; allowedHosts?: string[] } = {},
): Promise<TestServices> {
  const pgUrl = process.env.TEST_DATABASE_URL;
  const db = await openDatabase(
    pgUrl ? { kind: 'postgres', url: pgUrl, schema: `test_${randomUUID().replace(/-/g, '')}` } : { kind: 'memory' },
  );
  const services = await startReferenceServices({
    db,
    fraudModelSlowMs: options.fraudModelSlowMs ?? 2000,
    adminToken: ADMIN_TOKEN,
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
  });
  return {
    ...services,
    db,
    async stop() {
      await services.close();
      if (db.kind === 'postgres')
        await db.exec(
          `DROP SCHEMA IF EXISTS ${(await db.query<{ s: string }>('SELECT current_schema() AS s'))[0]?.s} CASCADE`,
        );
      await db.close();
    },
  };
}

/** The worker's downstream configuration, pointed at these services. */
export function downstreamConfigFor(
  services: ReferenceServices,
  overrides: Record<string, string> = {},
): DownstreamConfig {
  return loadConfig(downstreamSchema, {
    INVENTORY_URL: services.urls.inventory,
    PAYMENTS_URL: services.urls.payments,
    PRIMARY_CARRIER_URL: services.urls.primaryCarrier,
    BACKUP_CARRIER_URL: services.urls.backupCarrier,
    FRAUD_URL: services.urls.fraud,
    NOTIFICATIONS_URL: services.urls.notifications,
    ...overrides,
  });
}

export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function http(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...adminAuth, ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> & { error?: { code: string } },
  };
}

/** POST with an Idempotency-Key. */
export function post(baseUrl: string, path: string, key: string, body: unknown) {
  return http(baseUrl, 'POST', path, body, { 'idempotency-key': key });
}

export async function setFaults(baseUrl: string, faults: Partial<FaultSettings>): Promise<void> {
  const res = await http(baseUrl, 'PUT', '/_faults', faults);
  if (res.status !== 200) throw new Error(`PUT /_faults failed: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function setStock(inventoryUrl: string, sku: string, available: number): Promise<void> {
  const res = await http(inventoryUrl, 'PUT', `/stock/${sku}`, { available });
  if (res.status !== 200) throw new Error(`PUT /stock failed: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function availableStock(inventoryUrl: string, sku: string): Promise<number> {
  const res = await http(inventoryUrl, 'GET', `/stock/${sku}`);
  return res.body.available as number;
}
