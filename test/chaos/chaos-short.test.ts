/**
 * The chaos run, short: the real stack as child processes, 25 orders (every scenario at least
 * once), background faults, one SIGKILL and restart of the worker, a 6 s payments outage; then
 * the same audit as `npm run chaos`, whose figures must all be 0. Prints the figures.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { totalOf } from '../../scripts/chaos/audit';
import { printReport } from '../../scripts/chaos/report';
import { runChaos } from '../../scripts/chaos/run';

const say = (m: string) => process.stderr.write(`[chaos-short] ${m}\n`);

test('chaos, short: orders survive faults, an outage and a worker SIGKILL with clean ledgers', async () => {
  const report = await runChaos({
    orders: 25,
    rate: 5,
    outage: 'payments',
    outageSeconds: 6,
    workerDownSeconds: 2,
    settleSeconds: 150,
    // Its own ports, so it never meets a full `npm run chaos` (17230…) or the dev stack.
    basePort: Number(process.env.CHAOS_SHORT_BASE_PORT ?? 17_330),
    seed: 7,
    keep: false,
    say,
  });
  printReport(report, say);
  assert.equal(report.workerRestarts, 1, 'the worker was killed and restarted once');
  assert.equal(
    report.accepted,
    report.submitted,
    `every submission accepted (refused: ${JSON.stringify(report.refused)})`,
  );
  for (const [figure, list] of Object.entries(report.figures)) assert.deepEqual(list, [], `${figure} must be 0`);
  assert.equal(totalOf(report.figures), 0);
});
