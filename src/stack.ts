/**
 * `npm start`: the whole local stack in one command. Starts the Temporal dev server when
 * nothing answers at TEMPORAL_ADDRESS, registers the order search attributes, then runs the
 * reference services, the worker and the API as child processes. Ctrl-C / SIGTERM stops
 * every child; a child that dies takes the stack down with a message instead of leaving half
 * a stack running.
 *
 * The children share this terminal (inherited stdio) and choose their log format from it, as
 * the stack does: readable lines on a terminal, one JSON object per line otherwise (LOG_FORMAT).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Logger } from 'pino';
import { loadConfig, temporalSchema } from './config';
import { chooseLogFormat, createLogger } from './logger';
import { TEMPORAL_CACHE_DIR } from './paths';
import { apiSchema, devCredentials } from './api/config';
import { servicesSchema, serviceUrls } from './services/config';
import { isLoopbackHost, isReachable, splitAddress, startDevServer } from './temporal/dev-server';
import { runSetup } from './temporal/setup';

const ROLES = ['services', 'worker', 'api'] as const;
type Role = (typeof ROLES)[number];

interface Child {
  name: string;
  process: ChildProcess;
}

let log: Logger | undefined;
function say(message: string, level: 'info' | 'error' = 'info'): void {
  (log ??= createLogger('stack'))[level](message);
}

/** Runs another role of this same program (works under tsx and from compiled `dist/`). */
function spawnRole(role: Role): ChildProcess {
  const entry = process.argv[1];
  if (!entry) throw new Error('cannot determine the program entry point');
  return spawn(process.execPath, [...process.execArgv, entry, role], { stdio: 'inherit', env: process.env });
}

async function waitForHttp(url: string, timeoutMs: number, children: Child[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = children.find((c) => c.process.exitCode !== null || c.process.signalCode !== null);
    if (dead) throw new Error(`${dead.name} exited before ${url} answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000}s`);
}

export async function runStack(): Promise<void> {
  const temporal = loadConfig(temporalSchema);
  const api = loadConfig(apiSchema);
  const services = loadConfig(servicesSchema);
  const format = chooseLogFormat(); // a bad LOG_FORMAT stops the stack before it starts anything
  log = createLogger('stack', undefined, { format });
  const children: Child[] = [];
  let stopping = false;

  const stopAll = async (exitCode: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      // Stop in reverse order of start: API first (no new orders), Temporal last.
      for (const child of [...children].reverse()) {
        if (child.process.exitCode !== null || child.process.signalCode !== null) continue;
        child.process.kill('SIGTERM');
        const exited = new Promise((r) => child.process.once('exit', r));
        const timer = setTimeout(() => child.process.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      say('stopped');
    }
    process.exit(exitCode);
  };

  const watch = (child: Child) => {
    children.push(child);
    child.process.once('exit', (code, signal) => {
      if (stopping) return;
      say(`${child.name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the stack`, 'error');
      void stopAll(1);
    });
  };

  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  try {
    if (await isReachable(temporal.TEMPORAL_ADDRESS)) {
      say(`using the Temporal server already answering at ${temporal.TEMPORAL_ADDRESS}`);
    } else {
      const { host } = splitAddress(temporal.TEMPORAL_ADDRESS);
      if (!isLoopbackHost(host)) {
        throw new Error(
          `Nothing answers at TEMPORAL_ADDRESS=${temporal.TEMPORAL_ADDRESS}; ` +
            'the embedded dev server only runs on a loopback address',
        );
      }
      const db = path.relative(process.cwd(), path.join(TEMPORAL_CACHE_DIR, 'dev-server.sqlite'));
      say(`starting the Temporal dev server at ${temporal.TEMPORAL_ADDRESS} (state in ${db})`);
      watch({ name: 'Temporal dev server', process: await startDevServer({ config: temporal }) });
    }
    try {
      await runSetup(say);
    } catch (err) {
      // Temporal Cloud refuses operator calls: register the attributes there with tcld or the UI.
      if (isLoopbackHost(splitAddress(temporal.TEMPORAL_ADDRESS).host)) throw err;
      say(`could not register search attributes (${(err as Error).message}); register them on your cluster yourself`);
    }

    for (const role of ROLES) watch({ name: role, process: spawnRole(role) });
    const urls = serviceUrls(services);
    await Promise.all([
      waitForHttp(`http://127.0.0.1:${api.API_PORT}/healthz`, 60_000, children),
      ...Object.values(urls).map((u) => waitForHttp(`${u}/healthz`, 60_000, children)),
    ]);
  } catch (err) {
    say(`failed to start: ${(err as Error).message}`, 'error');
    await stopAll(1);
  }

  const urls = serviceUrls(services);
  const webUi = `${temporal.TEMPORAL_UI_URL}/namespaces/${temporal.TEMPORAL_NAMESPACE}/workflows`;
  const apiUrl = `http://127.0.0.1:${api.API_PORT}`;
  const consoleUrl = `${apiUrl}/console/`;
  if (format === 'json') {
    // One object for machines; the banner below is for people.
    log.info(
      {
        webUi,
        temporal: temporal.TEMPORAL_ADDRESS,
        namespace: temporal.TEMPORAL_NAMESPACE,
        api: apiUrl,
        console: consoleUrl,
        services: urls,
      },
      'ready',
    );
    return;
  }
  say('ready');
  say(`  Temporal Web UI   ${webUi}`);
  say(`  Temporal gRPC     ${temporal.TEMPORAL_ADDRESS} (namespace ${temporal.TEMPORAL_NAMESPACE})`);
  say(`  Orders API        ${apiUrl}  (GET /healthz, /openapi.json)`);
  const devTokens = devCredentials(api).includes('API_TOKENS')
    ? '  (tokens local-approver-token, local-operator-token)'
    : '';
  say(`  Operator console  ${consoleUrl}${devTokens}`);
  for (const [name, url] of Object.entries(urls)) say(`  ${name.padEnd(17)} ${url}`);
  say('Ctrl-C stops everything.');
}
