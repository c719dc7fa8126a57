/**
 * Runs every `*.test.ts` under test/ (or the files/folders given as arguments) with Node's
 * own test runner. Node 20 has no glob support in `--test`, hence this small wrapper.
 *   npm run test:unit                       # everything
 *   npm run test:unit -- test/saga          # one folder
 */
import { spawnSync } from 'node:child_process';
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
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${concurrency}`,
    '--test-timeout=300000',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
