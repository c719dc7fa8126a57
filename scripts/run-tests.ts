/**
 * Runs every `*.test.ts` under test/ (or the files/folders given as arguments) with Node's
 * own test runner. Node 20 has no glob support in `--test`, hence this small wrapper.
 *   npm run test:unit                       # everything
 *   npm run test:unit -- test/saga          # one folder
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function collect(target: string): string[] {
  const stat = fs.statSync(target);
  if (stat.isFile()) return [target];
  return fs
    .readdirSync(target, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(target, entry.name);
      if (entry.isDirectory()) return collect(full);
      return entry.name.endsWith('.test.ts') ? [full] : [];
    })
    .sort();
}

const targets = process.argv.slice(2);
const files = (targets.length > 0 ? targets : ['test']).flatMap(collect);
if (files.length === 0) {
  process.stderr.write('no test files found\n');
  process.exit(1);
}
/**
 * Enumerations that run for minutes by design. Node's --test-timeout also bounds each test file as
 * a whole, so they run as a suite of their own with a longer bound, beside the rest (one of the
 * concurrency slots), instead of raising the bound that catches a hung test everywhere else.
 */
const LONG_RUNNING = new Set([path.join('test', 'properties', 'exhaustive.test.ts')]);
const LONG_TIMEOUT_MS = 25 * 60_000;
const TIMEOUT_MS = 5 * 60_000;

const concurrency = Number(process.env.TEST_CONCURRENCY ?? '2');
const long = files.filter((f) => LONG_RUNNING.has(path.normalize(f)));
const rest = files.filter((f) => !LONG_RUNNING.has(path.normalize(f)));

function nodeTest(suite: string[], timeoutMs: number, slots: number, output: 'inherit' | 'buffer') {
  const args = ['--import', 'tsx', '--test', '--test-reporter=spec'];
  args.push(`--test-concurrency=${slots}`, `--test-timeout=${timeoutMs}`, ...suite);
  const child = spawn(process.execPath, args, { stdio: output === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c));
  return new Promise<{ status: number; output: string }>((resolve) =>
    child.on('close', (code) => resolve({ status: code ?? 1, output: Buffer.concat(chunks).toString() })),
  );
}

async function main(): Promise<number> {
  // The long suite's report is held back and printed after the rest, so the two do not interleave.
  const longRun = long.length > 0 ? nodeTest(long, LONG_TIMEOUT_MS, 1, 'buffer') : null;
  const restSlots = Math.max(1, longRun && rest.length > 0 ? concurrency - 1 : concurrency);
  const restRun = rest.length > 0 ? await nodeTest(rest, TIMEOUT_MS, restSlots, 'inherit') : null;
  if (longRun) {
    const { status, output } = await longRun;
    process.stdout.write(`\n==== long-running: ${long.join(', ')} ====\n${output}`);
    if (status !== 0) return status;
  }
  return restRun?.status ?? 0;
}

void main().then((status) => process.exit(status));
