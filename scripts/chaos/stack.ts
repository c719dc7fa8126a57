/**
 * The real stack, as child processes on ports of its own (loopback only, away from the
 * development defaults 3000, 4001–4006, 7233 and 8233): a Temporal dev server on a fresh
 * SQLite file (or a Temporal server already running), the reference services on a fresh
 * embedded database (or PostgreSQL), the worker(s) and the API, each via
 * `tsx src/main.ts <role>` with environment overrides.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadConfig, temporalSchema } from '../../src/config';
import { resolveBinary, TEMPORAL_CLI } from '../../src/temporal/binaries';
import { devServerArgs } from '../../src/temporal/dev-server';
import { PROJECT_ROOT } from '../../src/paths';
import type { Supervisor } from './supervisor';

export const HOST = '127.0.0.1';
export const SERVICES = ['inventory', 'payments', 'primaryCarrier', 'backupCarrier', 'fraud', 'notifications'] as const;
export type Service = (typeof SERVICES)[number];

export interface Layout {
  temporal: number;
  temporalUi: number;
  services: Record<Service, number>;
  api: number;
}

/** Every port of the run, from one base: base+3 Temporal, base+4 its UI, base+11… services, base+20 API. */
export function layout(base: number): Layout {
  const services = Object.fromEntries(SERVICES.map((s, i) => [s, base + 11 + i])) as Record<Service, number>;
  return { temporal: base + 3, temporalUi: base + 4, services, api: base + 20 };
}

export const serviceUrl = (l: Layout, s: Service) => `http://${HOST}:${l.services[s]}`;

/** Credentials made up for this run only. */
export interface Credentials {
  signingSecret: string;
  approverToken: string;
  operatorToken: string;
  /** The services' SERVICES_ADMIN_TOKEN: their fault controls, `PUT /stock` and audit listings need it. */
  servicesAdminToken: string;
}

export function freshCredentials(): Credentials {
  const token = () => randomBytes(24).toString('hex');
  return { signingSecret: token(), approverToken: token(), operatorToken: token(), servicesAdminToken: token() };
}

const MAIN = path.join(PROJECT_ROOT, 'src', 'main.ts');

/**
 * `tsx src/main.ts <role>`, as ONE process: node with tsx's loader, not the tsx CLI (which
 * would run the role in a grandchild that a SIGKILL of its parent leaves running).
 */
function role(name: string, env: Record<string, string>) {
  return { name, command: process.execPath, args: ['--import', 'tsx', MAIN, name], env: { LOG_LEVEL: 'warn', ...env } };
}

export interface Stack {
  layout: Layout;
  credentials: Credentials;
  apiUrl: string;
}

/** The header the services' operator routes (`/_faults`, `PUT /stock`, the listings) need. */
export const adminAuth = (stack: Stack) => ({ authorization: `Bearer ${stack.credentials.servicesAdminToken}` });

export interface StackOptions {
  /**
   * A Temporal server the caller started (child `temporal`) at `l.temporal`: the stack runs
   * `setup` against it (namespace, search attributes) instead of starting a dev server.
   */
  externalTemporal?: boolean;
  /** The services' ledgers in this PostgreSQL database instead of an embedded one. */
  servicesDatabaseUrl?: string;
  /** Worker processes, named `worker`, `worker-2`, …; 1 by default. */
  workers?: number;
  /** Extra environment of the API process (e.g. the benchmark lifts the per-credential rate limits). */
  apiEnv?: Record<string, string>;
}

/** The names of the stack's worker processes. */
export const workerNames = (count: number) =>
  Array.from({ length: count }, (_, i) => (i === 0 ? 'worker' : `worker-${i + 1}`));

export async function startStack(
  sup: Supervisor,
  l: Layout,
  dataDir: string,
  say: (m: string) => void,
  options: StackOptions = {},
): Promise<Stack> {
  const temporalAddress = `${HOST}:${l.temporal}`;
  if (!options.externalTemporal) {
    const cli = await resolveBinary(TEMPORAL_CLI, { log: say });
    if (!cli) throw new Error('Temporal CLI not found: run `npm run temporal:install` (or set TEMPORAL_CLI_PATH)');
    const temporalConfig = loadConfig(temporalSchema, { TEMPORAL_ADDRESS: temporalAddress });
    say(`Temporal dev server on ${temporalAddress} (UI ${HOST}:${l.temporalUi}), state in ${dataDir}`);
    sup.start({
      name: 'temporal',
      command: cli.path,
      args: devServerArgs({
        config: temporalConfig,
        uiPort: l.temporalUi,
        dbFile: path.join(dataDir, 'temporal.sqlite'),
      }),
    });
  }

  const credentials = freshCredentials();
  const serviceEnv = {
    SERVICES_ADMIN_TOKEN: credentials.servicesAdminToken,
    SERVICES_HOST: HOST,
    ...(options.servicesDatabaseUrl
      ? { DATABASE_URL: options.servicesDatabaseUrl }
      : { SERVICES_DATA_DIR: path.join(dataDir, 'services') }),
    INVENTORY_PORT: String(l.services.inventory),
    PAYMENTS_PORT: String(l.services.payments),
    PRIMARY_CARRIER_PORT: String(l.services.primaryCarrier),
    BACKUP_CARRIER_PORT: String(l.services.backupCarrier),
    FRAUD_PORT: String(l.services.fraud),
    NOTIFICATIONS_PORT: String(l.services.notifications),
  };
  say(
    `reference services on ${HOST}:${l.services.inventory}–${l.services.notifications}, ledgers in ${options.servicesDatabaseUrl ? 'PostgreSQL' : 'an embedded database'}`,
  );
  sup.start(role('services', serviceEnv));

  await sup.waitForPort(HOST, l.temporal, 'temporal', 60_000);
  await Promise.all(SERVICES.map((s) => sup.waitForHttp(`${serviceUrl(l, s)}/healthz`, 'services', 120_000)));

  const temporalEnv = {
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_UI_URL: `http://${HOST}:${l.temporalUi}`,
  };
  if (options.externalTemporal) {
    const code = await sup.runToEnd(role('setup', temporalEnv), 120_000);
    if (code !== 0) throw new Error(`setup exited with code ${code}; see ${sup.logFile('setup')}`);
  }
  const workerEnv = {
    ...temporalEnv,
    INVENTORY_URL: serviceUrl(l, 'inventory'),
    PAYMENTS_URL: serviceUrl(l, 'payments'),
    PRIMARY_CARRIER_URL: serviceUrl(l, 'primaryCarrier'),
    BACKUP_CARRIER_URL: serviceUrl(l, 'backupCarrier'),
    FRAUD_URL: serviceUrl(l, 'fraud'),
    NOTIFICATIONS_URL: serviceUrl(l, 'notifications'),
    SLA_ALERT_WEBHOOK_URL: `${serviceUrl(l, 'notifications')}/alerts`,
  };
  for (const name of workerNames(options.workers ?? 1)) sup.start({ ...role('worker', workerEnv), name });

  sup.start(
    role('api', {
      ...temporalEnv,
      API_HOST: HOST,
      API_PORT: String(l.api),
      API_SIGNING_SECRETS: credentials.signingSecret,
      API_TOKENS: `${credentials.approverToken}:approver:chaos-approver,${credentials.operatorToken}:operator:chaos-operator`,
      ...options.apiEnv,
    }),
  );
  const apiUrl = `http://${HOST}:${l.api}`;
  await sup.waitForHttp(`${apiUrl}/readyz`, 'api', 120_000);
  say(`worker started; orders API on ${apiUrl}`);
  return { layout: l, credentials, apiUrl };
}
