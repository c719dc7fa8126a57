/**
 * One production-shape run: PostgreSQL, a real Temporal server on it, the reference services
 * with their ledgers in it, two worker processes and the API; orders through the API at a
 * steady rate while the Temporal server is SIGKILLed and restarted, and later one of the two
 * workers; then the orders settle (approvals given, parked orders drained) and the ledgers are
 * audited against the saga's invariant. Always stops every child process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { audit, readLedgers, type Figures } from '../chaos/audit';
import { stockUp } from '../chaos/faults';
import { OrdersApi, planOrders, STOCKED_SKUS, submitSteadily, type Submitted } from '../chaos/orders';
import { finalViews, OrderWatch, outcomesOf } from '../chaos/settle';
import { inRunFolder } from '../chaos/options';
import { layout, startStack, workerNames } from '../chaos/stack';
import { ORDERS_DATABASE, startPostgres } from './postgres';
import {
  ensureTemporalServer,
  serverEnvironment,
  setupSchemas,
  startTemporalServer,
  TEMPORAL_SERVER_VERSION,
} from './temporal-server';

export interface ProductionShapeOptions {
  orders: number;
  /** Orders submitted per second. */
  rate: number;
  /** Seconds the Temporal server stays dead after its SIGKILL, before it is started again. */
  serverDownSeconds: number;
  /** Seconds the second worker stays dead after its SIGKILL. */
  workerDownSeconds: number;
  settleSeconds: number;
  basePort: number;
  seed: number;
  keep: boolean;
  say: (message: string) => void;
}

export interface ProductionShapeReport {
  serverVersion: string;
  figures: Figures;
  submitted: number;
  accepted: number;
  refused: Record<string, number>;
  outcomes: Record<string, number>;
  /** From the server's SIGKILL until its frontend served again (down time included). */
  serverOutageMs: number;
  /** From the server's restart until the first order completed after it. */
  firstCompletionAfterRestartMs: number | null;
  workerKilled: string;
  durationMs: number;
  dataDir: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runProductionShape(o: ProductionShapeOptions): Promise<ProductionShapeReport> {
  const started = Date.now();
  const build = await ensureTemporalServer(o.say);
  return inRunFolder('order-saga-production-shape-', o, async (sup, dataDir) => {
    fs.chmodSync(dataDir, 0o755); // the postgres user reaches its folder inside
    // The app's ports as in the chaos run; Temporal's dozen ports and PostgreSQL's above them.
    const l = { ...layout(o.basePort), temporal: o.basePort + 30 };
    const pg = await startPostgres(sup, path.join(dataDir, 'pg'), o.basePort + 50);
    o.say(`PostgreSQL on 127.0.0.1:${pg.port}`);
    const serverEnv = serverEnvironment(pg, l.temporal);
    await setupSchemas(build, serverEnv);
    await startTemporalServer(sup, build, serverEnv);
    o.say(`Temporal server ${TEMPORAL_SERVER_VERSION} on 127.0.0.1:${l.temporal}, persisting to PostgreSQL`);

    const workers = workerNames(2);
    const stack = await startStack(sup, l, dataDir, o.say, {
      externalTemporal: true,
      servicesDatabaseUrl: pg.url(ORDERS_DATABASE),
      workers: workers.length,
    });
    const api = new OrdersApi(stack.apiUrl, stack.credentials);
    await stockUp(stack, STOCKED_SKUS);

    const plan = planOrders(o.orders, o.seed, 'production-shape');
    const submitted: Submitted = { accepted: new Map(), refused: {} };
    const windowMs = (o.orders / o.rate) * 1000;
    o.say(`submitting ${o.orders} orders over ${(windowMs / 1000).toFixed(0)} s`);
    const t0 = Date.now();
    const submissions = submitSteadily(api, plan, o.rate, t0, submitted);
    const watch = new OrderWatch(api, submitted.accepted, o.say);
    const watching = watch.run();

    const at = (fraction: number) => sleep(Math.max(0, t0 + fraction * windowMs - Date.now()));
    let serverOutageMs = 0;
    let restartedAt = 0;
    const workerKilled = workers[1]!;
    const timeline = (async () => {
      await at(0.3);
      const killedAt = Date.now();
      o.say('SIGKILL the Temporal server');
      await sup.kill('temporal');
      await sleep(o.serverDownSeconds * 1000);
      restartedAt = Date.now();
      await startTemporalServer(sup, build, serverEnv);
      serverOutageMs = Date.now() - killedAt;
      o.say(`Temporal server serving again, ${(serverOutageMs / 1000).toFixed(1)} s after the kill`);
      await at(0.65);
      o.say(`SIGKILL ${workerKilled} (the other worker carries on)`);
      await sup.kill(workerKilled);
      await sleep(o.workerDownSeconds * 1000);
      sup.restart(workerKilled);
      o.say(`${workerKilled} restarted`);
    })();

    await Promise.all([submissions, timeline]);
    o.say(`${submitted.accepted.size} orders accepted; waiting up to ${o.settleSeconds} s for every order to settle`);
    watch.settleWithin(o.settleSeconds * 1000);
    await watching;
    sup.assertAlive('postgresql', 'temporal', 'services', ...workers, 'api');

    const finals = await finalViews(api, [...submitted.accepted.keys()]);
    const figures = audit(finals, await readLedgers(stack));
    const completions = [...finals.values()].flatMap((v) =>
      typeof v === 'string' ? [] : v.transitions.filter((t) => t.to === 'COMPLETED').map((t) => Date.parse(t.at)),
    );
    const afterRestart = completions.filter((t) => t >= restartedAt);
    return {
      serverVersion: TEMPORAL_SERVER_VERSION,
      figures,
      submitted: plan.length,
      accepted: submitted.accepted.size,
      refused: submitted.refused,
      outcomes: outcomesOf(finals),
      serverOutageMs,
      firstCompletionAfterRestartMs: afterRestart.length > 0 ? Math.min(...afterRestart) - restartedAt : null,
      workerKilled,
      durationMs: Date.now() - started,
      dataDir,
    };
  });
}
