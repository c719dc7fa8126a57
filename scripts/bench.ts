/**
 * The benchmark: the real stack (Temporal dev server started as `npm start` starts it, reference
 * services, one worker, the API) on ports of its own, beside a no-op worker whose workflow has the
 * saga's shape (six sequential do-nothing activities): the ceiling Temporal allows on this
 * machine. Both are measured alternately (unloaded latency, throughput, submit rate, CPU and
 * RSS per process), then orders flow through a payments outage (recovery). Writes
 * docs/performance.json and the generated section of docs/performance.md (or both into --out).
 * Exits 0 when it ran to its end, 2 when the run failed; with --check, 1 when a target is missed.
 * See docs/performance.md.
 *
 *   npm run bench -- [--rounds 2] [--orders 200] [--in-flight 20] [--unloaded 30] [--submit 200]
 *                    [--rate 5] [--outage-seconds 60] [--settle-seconds 180] [--base-port 17430]
 *                    [--out <dir>] [--skip-recovery] [--check] [--keep] [--smoke]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/paths';
import { numberOption } from './chaos/options';
import { writeReport } from './bench/report';
import { runBench } from './bench/run';

const say = (m: string) => process.stdout.write(`[bench] ${m}\n`);

/** --smoke: tiny numbers, for a check that the bench works end to end (about 2 minutes). */
const SMOKE = { rounds: 1, orders: 20, 'in-flight': 5, unloaded: 5, submit: 20, 'outage-seconds': 8 } as const;
const DEFAULTS = { rounds: 2, orders: 200, 'in-flight': 20, unloaded: 30, submit: 200, 'outage-seconds': 60 } as const;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      orders: { type: 'string' },
      'in-flight': { type: 'string' },
      unloaded: { type: 'string' },
      submit: { type: 'string' },
      rate: { type: 'string' },
      'outage-seconds': { type: 'string' },
      'settle-seconds': { type: 'string' },
      'base-port': { type: 'string' },
      out: { type: 'string' },
      'skip-recovery': { type: 'boolean' },
      check: { type: 'boolean' },
      keep: { type: 'boolean' },
      smoke: { type: 'boolean' },
    },
    strict: true,
  });
  const base = values.smoke ? SMOKE : DEFAULTS;
  const out = values.out
    ? path.resolve(values.out)
    : values.smoke
      ? fs.mkdtempSync(path.join(os.tmpdir(), 'order-saga-bench-smoke-'))
      : path.join(PROJECT_ROOT, 'docs');
  const result = await runBench({
    rounds: numberOption(values.rounds, base.rounds, 'rounds', 1),
    orders: numberOption(values.orders, base.orders, 'orders', 1),
    inFlight: numberOption(values['in-flight'], base['in-flight'], 'in-flight', 1),
    unloaded: numberOption(values.unloaded, base.unloaded, 'unloaded', 1),
    submit: numberOption(values.submit, base.submit, 'submit', 1),
    rate: numberOption(values.rate, 5, 'rate', 0.1),
    outageSeconds: numberOption(values['outage-seconds'], base['outage-seconds'], 'outage-seconds', 1),
    settleSeconds: numberOption(values['settle-seconds'], 180, 'settle-seconds', 1),
    basePort: numberOption(values['base-port'], 17_430, 'base-port', 1024),
    skipRecovery: values['skip-recovery'] ?? false,
    keep: values.keep ?? false,
    say,
  });
  const { json, markdown } = await writeReport(result, out);
  const shown = (file: string) => (file.startsWith(PROJECT_ROOT) ? path.relative(PROJECT_ROOT, file) : file);
  say(`wrote ${shown(json)} and ${shown(markdown)}`);
  for (const t of result.targets)
    say(
      `${t.figure}: ${t.value === null ? 'n/a' : t.value.toFixed(2)} (target ${t.target}) ${t.pass ? 'PASS' : 'FAIL'}`,
    );
  const missed = result.targets.filter((t) => !t.pass).length;
  if (values.check && missed > 0) {
    say(`--check: ${missed} target(s) missed`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
