/**
 * The chaos run: the real stack (Temporal dev server, reference services, worker, API) as
 * child processes on ports of its own, a few hundred orders through the API while the
 * downstreams misbehave (and lose answers after the effect), the worker killed and restarted
 * mid-saga and one dependency down for a while; then the ledger audit against the saga's
 * invariant. Exits 1 when any audit figure is not 0. See docs/chaos.md.
 *
 *   npm run chaos -- [--orders 300] [--rate 10] [--outage payments] [--outage-seconds 20]
 *                    [--worker-down-seconds 3] [--settle-seconds 240] [--base-port 17230] [--seed 1] [--keep]
 */
import { parseArgs } from 'node:util';
import { totalOf } from './chaos/audit';
import { numberOption } from './chaos/options';
import { printReport } from './chaos/report';
import { runChaos } from './chaos/run';
import { SERVICES, type Service } from './chaos/stack';

const say = (m: string) => process.stdout.write(`[chaos] ${m}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string' },
      rate: { type: 'string' },
      outage: { type: 'string' },
      'outage-seconds': { type: 'string' },
      'worker-down-seconds': { type: 'string' },
      'settle-seconds': { type: 'string' },
      'base-port': { type: 'string' },
      seed: { type: 'string' },
      keep: { type: 'boolean' },
    },
    strict: true,
  });
  const outage = (values.outage ?? 'payments') as Service;
  if (!SERVICES.includes(outage)) throw new Error(`--outage expects one of ${SERVICES.join(', ')}`);
  const report = await runChaos({
    orders: numberOption(values.orders, 300, 'orders', 1),
    rate: numberOption(values.rate, 10, 'rate', 0.1),
    outage,
    outageSeconds: numberOption(values['outage-seconds'], 20, 'outage-seconds'),
    workerDownSeconds: numberOption(values['worker-down-seconds'], 3, 'worker-down-seconds'),
    settleSeconds: numberOption(values['settle-seconds'], 240, 'settle-seconds', 1),
    basePort: numberOption(values['base-port'], 17_230, 'base-port', 1024),
    seed: numberOption(values.seed, 1, 'seed'),
    keep: values.keep ?? false,
    say,
  });
  printReport(report, say);
  const bad = totalOf(report.figures);
  say(bad === 0 ? 'audit clean: every figure is 0' : `audit FAILED: ${bad} finding(s)`);
  return bad === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[chaos] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
