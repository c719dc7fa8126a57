/**
 * No Docker engine runs where the tests run, so the compose file is checked statically:
 * every service reference, command, port and environment variable must match the app.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { downstreamSchema } from '../../src/activities/clients/config';
import { apiSchema } from '../../src/api/config';
import { COMMANDS } from '../../src/commands';
import { loadConfig, temporalSchema } from '../../src/config';
import { variablesReadBy, type Role } from '../../src/config-catalog';
import { PROJECT_ROOT } from '../../src/paths';
import { servicesSchema } from '../../src/services/config';
import { workerDeploymentSchema } from '../../src/temporal/worker-deployment';
import { devServerArgs, DYNAMIC_CONFIG_FILE } from '../../src/temporal/dev-server';
import {
  SETUP_SCHEMA_SCRIPT,
  serverEnvironment,
  TEMPORAL_SERVER_VERSION,
} from '../../scripts/production-shape/temporal-server';

interface ComposeService {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
}

const compose = parse(fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;
const appServices = Object.entries(services).filter(([, s]) => s.build !== undefined);

/** Resolves `${VAR:-default}` the way compose does when VAR is unset. */
function interpolate(value: string | number): string {
  return String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
}

function envOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
}

function hostPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: url.hostname, port: Number(url.port) };
}

/** Container ports a service publishes, from "127.0.0.1:HOST:CONTAINER" or ranges "a-b:a-b". */
function publishedContainerPorts(service: ComposeService): number[] {
  return (service.ports ?? []).flatMap((spec) => {
    const container = spec.split(':').at(-1)!;
    const [from, to = from] = container.split('-').map(Number) as [number, number?];
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

test('the app image is built from the Dockerfile in the repository', () => {
  assert.ok(appServices.length >= 4, 'expected setup, services, worker and api to be built from the repo');
  for (const [, service] of appServices) {
    const context = typeof service.build === 'string' ? service.build : service.build!.context;
    assert.ok(fs.existsSync(path.join(PROJECT_ROOT, context, 'Dockerfile')));
  }
});

test('every app service runs a command the program has', () => {
  for (const [name, service] of appServices) {
    assert.ok(
      service.command?.[0] && service.command[0] in COMMANDS,
      `${name}: unknown command ${JSON.stringify(service.command)}`,
    );
  }
});

test('every depends_on names a service of the file', () => {
  for (const [name, service] of Object.entries(services)) {
    const deps = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
    for (const dep of deps) assert.ok(dep in services, `${name} depends on unknown service ${dep}`);
  }
});

test('every variable set on an app service is one its role reads, and parses', () => {
  for (const [name, service] of appServices) {
    const role = service.command![0] as Role;
    const known = variablesReadBy(role);
    for (const variable of Object.keys(envOf(service))) {
      assert.ok(known.has(variable), `${name} (${role}) sets ${variable}, which the ${role} never reads`);
    }
  }
  // The values themselves pass the app's own validation.
  loadConfig(apiSchema, envOf(services.api!));
  loadConfig(servicesSchema, envOf(services.services!));
  loadConfig(downstreamSchema, envOf(services.worker!));
});

test('the Temporal address of the app and the UI is the temporal service frontend', () => {
  assert.ok(publishedContainerPorts(services.temporal!).includes(7233));
  const temporalClients = appServices.filter(([, s]) => variablesReadBy(s.command![0] as Role).has('TEMPORAL_ADDRESS'));
  assert.deepEqual(temporalClients.map(([name]) => name).sort(), ['api', 'setup', 'worker']);
  for (const [name, service] of [...temporalClients, ['temporal-ui', services['temporal-ui']!] as const]) {
    const address = envOf(service).TEMPORAL_ADDRESS;
    assert.ok(address, `${name} has no TEMPORAL_ADDRESS`);
    assert.deepEqual(hostPort(address), { host: 'temporal', port: 7233 }, name);
  }
});

test("the worker's downstream URLs reach the services container on the ports it listens on", () => {
  const listening = loadConfig(servicesSchema, envOf(services.services!));
  const urls = loadConfig(downstreamSchema, envOf(services.worker!));
  const expected: [string, number][] = [
    [urls.INVENTORY_URL, listening.INVENTORY_PORT],
    [urls.PAYMENTS_URL, listening.PAYMENTS_PORT],
    [urls.PRIMARY_CARRIER_URL, listening.PRIMARY_CARRIER_PORT],
    [urls.BACKUP_CARRIER_URL, listening.BACKUP_CARRIER_PORT],
    [urls.FRAUD_URL, listening.FRAUD_PORT],
    [urls.NOTIFICATIONS_URL, listening.NOTIFICATIONS_PORT],
  ];
  for (const [url, port] of expected) assert.deepEqual(hostPort(url), { host: 'services', port });
  assert.equal(listening.SERVICES_HOST, '0.0.0.0', 'inside a container the services must listen beyond loopback');
  const published = publishedContainerPorts(services.services!);
  for (const [, port] of expected) assert.ok(published.includes(port), `port ${port} is not published`);
});

test('the API listens where it is published, beyond loopback inside its container', () => {
  const api = loadConfig(apiSchema, envOf(services.api!));
  assert.equal(api.API_HOST, '0.0.0.0');
  assert.ok(publishedContainerPorts(services.api!).includes(api.API_PORT));
});

test('published ports bind to loopback on the host', () => {
  for (const [name, service] of Object.entries(services)) {
    for (const spec of service.ports ?? [])
      assert.match(spec, /^127\.0\.0\.1:/, `${name} publishes ${spec} on every interface`);
  }
});

test("the services' database is the compose PostgreSQL database", () => {
  const db = new URL(envOf(services.services!).DATABASE_URL!);
  const pg = envOf(services.postgresql!);
  assert.equal(db.hostname, 'postgresql');
  assert.equal(db.pathname, `/${pg.POSTGRES_DB}`);
  assert.equal(decodeURIComponent(db.username), pg.POSTGRES_USER);
  assert.equal(decodeURIComponent(db.password), pg.POSTGRES_PASSWORD);
  const temporal = envOf(services.temporal!);
  assert.equal(temporal.POSTGRES_SEEDS, 'postgresql');
  assert.equal(temporal.POSTGRES_USER, pg.POSTGRES_USER);
  assert.equal(temporal.POSTGRES_PWD, pg.POSTGRES_PASSWORD);
});

test('the Temporal server is the release and configuration the production-shape run proves', () => {
  const temporal = services.temporal!;
  assert.equal(temporal.image, `temporalio/server:${TEMPORAL_SERVER_VERSION}`);
  assert.equal(services['temporal-schema']!.image, `temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
  const fake = { port: 5432, url: () => '' };
  const run = serverEnvironment(fake, 7233);
  const composeEnv = envOf(temporal);
  // The same persistence and server settings; only hosts, ports and file paths differ.
  const local = new Set(['POSTGRES_SEEDS', 'BIND_ON_IP', 'DYNAMIC_CONFIG_FILE_PATH', 'LOG_LEVEL', 'DB_PORT']);
  for (const [key, value] of Object.entries(run)) {
    if (local.has(key) || key.endsWith('_PORT')) continue;
    assert.equal(composeEnv[key], value, `temporal: ${key}`);
  }
  assert.equal(composeEnv.POSTGRES_SEEDS, 'postgresql');
  assert.equal(composeEnv.DB_PORT, '5432');
  // Both mount or read ops/temporal/dynamicconfig.yaml and run ops/temporal/setup-schema.sh.
  const mounts = (s: ComposeService) => (s.volumes ?? []).map((v) => v.split(':')[0]);
  assert.ok(mounts(temporal).includes(`./${path.relative(PROJECT_ROOT, DYNAMIC_CONFIG_FILE)}`));
  assert.ok(mounts(services['temporal-schema']!).includes(`./${path.relative(PROJECT_ROOT, SETUP_SCHEMA_SCRIPT)}`));
  const schemaEnv = envOf(services['temporal-schema']!);
  for (const key of ['DB', 'POSTGRES_SEEDS', 'POSTGRES_USER', 'POSTGRES_PWD', 'DB_PORT'])
    assert.equal(schemaEnv[key], composeEnv[key], `temporal-schema: ${key}`);
});

test('the worker runs as a version of the Worker Deployment', () => {
  const worker = loadConfig(workerDeploymentSchema, envOf(services.worker!));
  assert.equal(worker.WORKER_DEPLOYMENT_NAME, 'order-fulfillment');
  assert.ok(worker.WORKER_BUILD_ID);
});

test('the dev server of npm start runs with every value of the same dynamic config', () => {
  const config = loadConfig(temporalSchema, { TEMPORAL_ADDRESS: '127.0.0.1:7233' });
  const args = devServerArgs({ config, dbFile: 'dev.sqlite' });
  const file = parse(fs.readFileSync(DYNAMIC_CONFIG_FILE, 'utf8')) as Record<string, { value: unknown }[]>;
  assert.ok(Object.keys(file).includes('history.transferProcessorMaxPollRPS'));
  for (const [key, [{ value }]] of Object.entries(file) as [string, [{ value: unknown }]][]) {
    const at = args.indexOf(`${key}=${JSON.stringify(value)}`);
    assert.ok(at > 0 && args[at - 1] === '--dynamic-config-value', `${key} reaches the dev server`);
  }
});
