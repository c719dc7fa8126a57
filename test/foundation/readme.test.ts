/** The README is executable truth: its commands, variables and links must exist. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { allVariables } from '../../src/config-catalog';
import { PROJECT_ROOT } from '../../src/paths';

const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
const scripts = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

test('the quick start is exactly the two documented commands', () => {
  const quickStart = readme.split('## Quick start')[1]!.split('\n## ')[0]!;
  const blocks = [...quickStart.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
  assert.deepEqual(blocks, ['npm install && npm start', 'npm test']);
});

test('every `npm run` script the README mentions exists', () => {
  const used = new Set([...readme.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1]!));
  for (const name of used) assert.ok(name in scripts, `README uses "npm run ${name}", which package.json lacks`);
});

test('every variable the app reads is documented, and every documented variable is read', () => {
  const documented = new Set(
    readme
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!)),
  );
  const read = allVariables();
  for (const name of read) assert.ok(documented.has(name), `${name} is read by the app but missing from the README's configuration tables`);
  for (const name of documented) assert.ok(read.has(name), `${name} is documented in the README but the app never reads it`);
});

test('every relative link in the README points at a file of the repository', () => {
  for (const [, target] of readme.matchAll(/\]\((?!https?:|#)([^)]+)\)/g)) {
    assert.ok(fs.existsSync(path.join(PROJECT_ROOT, target!)), `broken link: ${target}`);
  }
});
