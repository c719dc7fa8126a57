/**
 * A real Temporal server (not the dev server) persisting to PostgreSQL, built from the Go module
 * proxy at the version docker-compose.yml runs, and configured the way that image is: the
 * server's embedded configuration template filled from environment variables (DB=postgres12,
 * POSTGRES_SEEDS, …), the dynamic configuration in ops/temporal/, the schemas created and
 * migrated by ops/temporal/setup-schema.sh with temporal-sql-tool.
 *
 * The binaries and the schema files are cached in the project cache (.temporal/), so a second
 * run starts in seconds; the first build takes a few minutes (Go's own caches make rebuilds quicker).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { PROJECT_ROOT, TEMPORAL_CACHE_DIR } from '../../src/paths';
import { DYNAMIC_CONFIG_FILE } from '../../src/temporal/dev-server';
import type { Supervisor } from '../chaos/supervisor';
import { PG_PASSWORD, PG_USER, type Postgres } from './postgres';

const execFileAsync = promisify(execFile);

/** The Temporal server release: docker-compose.yml's `temporalio/server` and `admin-tools` tags (a test checks). */
export const TEMPORAL_SERVER_VERSION = '1.32.0';
const MODULE = 'go.temporal.io/server';
/** grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING */
const SERVING = 1;

export const SETUP_SCHEMA_SCRIPT = path.join(PROJECT_ROOT, 'ops', 'temporal', 'setup-schema.sh');

export interface TemporalServerBuild {
  server: string;
  sqlTool: string;
  /** The release's schema/ folder (postgresql/v12/{temporal,visibility}/versioned). */
  schemaDir: string;
}

function buildDir(): string {
  return path.join(TEMPORAL_CACHE_DIR, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

/** The cached build, or a new one (`go install` of the server and temporal-sql-tool, and the schema files). */
export async function ensureTemporalServer(say: (m: string) => void): Promise<TemporalServerBuild> {
  const dir = buildDir();
  const build = {
    server: path.join(dir, 'bin', 'temporal-server'),
    sqlTool: path.join(dir, 'bin', 'temporal-sql-tool'),
    schemaDir: path.join(dir, 'schema'),
  };
  const complete = path.join(dir, '.complete');
  if (fs.existsSync(complete)) {
    say(`Temporal server ${TEMPORAL_SERVER_VERSION}: cached in ${path.relative(PROJECT_ROOT, dir)}`);
    return build;
  }
  say(`Temporal server ${TEMPORAL_SERVER_VERSION}: building from the Go module proxy (a few minutes, once)`);
  const go = await execFileAsync('go', ['version']).catch(() => {
    throw new Error('Go not found: the production-shape run builds the Temporal server with `go install`');
  });
  say(`  with ${go.stdout.trim()}`);
  const gobin = path.join(dir, 'bin');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(gobin, { recursive: true });
  const env = { ...process.env, GOBIN: gobin, GOFLAGS: '-trimpath' };
  await execFileAsync(
    'go',
    [
      'install',
      `${MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
      `${MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
    ],
    { env, maxBuffer: 64 * 1024 * 1024, cwd: dir },
  );
  fs.renameSync(path.join(gobin, 'server'), build.server);
  fs.renameSync(path.join(gobin, 'sql'), build.sqlTool);
  // The schema files come with the module's source, in Go's module cache.
  const { stdout } = await execFileAsync('go', ['env', 'GOMODCACHE']);
  const moduleDir = path.join(stdout.trim(), `${MODULE}@v${TEMPORAL_SERVER_VERSION}`);
  fs.cpSync(path.join(moduleDir, 'schema'), build.schemaDir, { recursive: true });
  fs.chmodSync(build.schemaDir, 0o755);
  fs.writeFileSync(complete, `${new Date().toISOString()}\n`);
  return build;
}

/** Every port the server binds, from one base (frontend gRPC first): away from a dev server's 7233–7239 and 6933–6939. */
export function serverPorts(frontend: number) {
  return {
    FRONTEND_GRPC_PORT: frontend,
    FRONTEND_HTTP_PORT: frontend + 1,
    FRONTEND_MEMBERSHIP_PORT: frontend + 2,
    HISTORY_GRPC_PORT: frontend + 3,
    HISTORY_MEMBERSHIP_PORT: frontend + 4,
    MATCHING_GRPC_PORT: frontend + 5,
    MATCHING_MEMBERSHIP_PORT: frontend + 6,
    WORKER_GRPC_PORT: frontend + 7,
    WORKER_MEMBERSHIP_PORT: frontend + 8,
    INTERNAL_FRONTEND_GRPC_PORT: frontend + 9,
    INTERNAL_FRONTEND_MEMBERSHIP_PORT: frontend + 10,
    INTERNAL_FRONTEND_HTTP_PORT: frontend + 11,
  };
}

/**
 * The server's environment: docker-compose.yml's `temporal` service, with loopback hosts and
 * private ports (test/foundation/docker-compose.test.ts holds the two to the same settings).
 */
export function serverEnvironment(pg: Postgres, frontendPort: number): Record<string, string> {
  const ports = Object.fromEntries(Object.entries(serverPorts(frontendPort)).map(([k, v]) => [k, String(v)]));
  return {
    DB: 'postgres12',
    DB_PORT: String(pg.port),
    POSTGRES_SEEDS: '127.0.0.1',
    POSTGRES_USER: PG_USER,
    POSTGRES_PWD: PG_PASSWORD,
    BIND_ON_IP: '127.0.0.1',
    DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG_FILE,
    TEMPORAL_ALLOW_NO_AUTH: 'true',
    LOG_LEVEL: 'warn',
    ...ports,
  };
}

/** ops/temporal/setup-schema.sh with this build's temporal-sql-tool and schema files. */
export async function setupSchemas(build: TemporalServerBuild, env: Record<string, string>): Promise<void> {
  await execFileAsync('sh', [SETUP_SCHEMA_SCRIPT], {
    env: {
      ...process.env,
      ...env,
      PATH: `${path.dirname(build.sqlTool)}${path.delimiter}${process.env.PATH ?? ''}`,
      TEMPORAL_SCHEMA_DIR: build.schemaDir,
    },
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Starts (or restarts) the server as child `temporal` and waits until its frontend reports SERVING. */
export async function startTemporalServer(
  sup: Supervisor,
  build: TemporalServerBuild,
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<void> {
  sup.start({ name: 'temporal', command: build.server, args: ['start'], env });
  const port = Number(env.FRONTEND_GRPC_PORT);
  const deadline = Date.now() + timeoutMs;
  await sup.waitForPort('127.0.0.1', port, 'temporal', timeoutMs);
  const connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: '5s' });
  try {
    for (;;) {
      sup.assertAlive('temporal');
      // The frontend opens its port before history and matching have joined the cluster.
      const serving = await connection.healthService
        .check({ service: 'temporal.api.workflowservice.v1.WorkflowService' })
        .then((r) => Number(r.status) === SERVING)
        .catch(() => false);
      if (serving) return;
      if (Date.now() > deadline) throw new Error(`Temporal server not serving within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await connection.close();
  }
}
