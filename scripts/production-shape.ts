/**
 * `npm run test:production-shape`: the app on the production shape of docker-compose.yml, here
 * without Docker: a real Temporal server (built from the Go module proxy, cached in .temporal/)
 * persisting to PostgreSQL, the services' ledgers in PostgreSQL, two workers and the API. Orders
 * flow while the Temporal server is SIGKILLed and restarted, then one worker; the ledger audit
 * must find nothing lost, doubled, leaked or stuck, and every order must be accepted. Exits 1
 * otherwise. See docs/production-shape.md.
 *
 *   npm run test:production-shape -- [--orders 120] [--rate 4] [--server-down-seconds 5]
 *                                     [--worker-down-seconds 10] [--settle-seconds 180]
 *                                     [--base-port 17330] [--seed 1] [--keep]
 */
import { parseArgs } from 'node:util';
import { FIGURE_LABELS, totalOf, type Figures } from './chaos/audit';
import { numberOption } from './chaos/options';
import { runProductionShape, type ProductionShapeReport } from './production-shape/run';

const say = (m: string) => process.stdout.write(`[production-shape] ${m}\n`);

function print(report: ProductionShapeReport): void {
  const seconds = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
  const refused = Object.entries(report.refused);
  say(`Temporal server ${report.serverVersion} on PostgreSQL; services' ledgers on PostgreSQL; two workers`);
  say(
    `orders submitted ${report.submitted}, accepted ${report.accepted}${refused.length ? `, refused ${JSON.stringify(report.refused)}` : ''}`,
  );
  say(
    `outcomes ${Object.entries(report.outcomes)
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  say(`Temporal server SIGKILL → serving again                 ${seconds(report.serverOutageMs)}`);
  say(`server restart → first order completed                  ${seconds(report.firstCompletionAfterRestartMs)}`);
  say(`worker SIGKILLed                                        ${report.workerKilled}`);
  for (const [key, label] of Object.entries(FIGURE_LABELS) as [keyof Figures, string][]) {
    const list = report.figures[key];
    say(`${label.padEnd(55)} ${list.length}${list.length > 0 ? `  e.g. ${list.slice(0, 5).join('; ')}` : ''}`);
  }
  say(`duration ${seconds(report.durationMs)}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string' },
      rate: { type: 'string' },
      'server-down-seconds': { type: 'string' },
      'worker-down-seconds': { type: 'string' },
      'settle-seconds': { type: 'string' },
      'base-port': { type: 'string' },
      seed: { type: 'string' },
      keep: { type: 'boolean' },
    },
    strict: true,
  });
  const report = await runProductionShape({
    orders: numberOption(values.orders, 120, 'orders', 1),
    rate: numberOption(values.rate, 4, 'rate', 0.1),
    serverDownSeconds: numberOption(values['server-down-seconds'], 5, 'server-down-seconds'),
    workerDownSeconds: numberOption(values['worker-down-seconds'], 10, 'worker-down-seconds'),
    settleSeconds: numberOption(values['settle-seconds'], 180, 'settle-seconds', 1),
    basePort: numberOption(values['base-port'], 17_330, 'base-port', 1024),
    seed: numberOption(values.seed, 1, 'seed'),
    keep: values.keep ?? false,
    say,
  });
  print(report);
  const findings = totalOf(report.figures);
  const refused = report.submitted - report.accepted;
  if (findings === 0 && refused === 0) {
    say('audit clean: 0 lost, 0 doubled, 0 leaked, 0 stuck; every order accepted');
    return 0;
  }
  say(`audit FAILED: ${findings} finding(s), ${refused} order(s) never accepted`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `[production-shape] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(2);
  },
);
