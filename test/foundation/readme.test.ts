/** The README is executable truth: its commands, variables and links must exist. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { allVariables } from '../../src/config-catalog';
import { PROJECT_ROOT } from '../../src/paths';

const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
const scripts = (
  JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

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
  const configuration = readme.split('## Configuration')[1]!.split('\n## ')[0]!;
  // Tables headed "variable" name it in their first column; tables headed "downstream" name a
  // downstream's variables in every column after the first.
  const documented = new Set<string>();
  let header = '';
  for (const line of configuration.split('\n')) {
    if (!line.startsWith('| ')) {
      header = '';
      continue;
    }
    const cells = line.split('|').slice(1, -1);
    if (!header) header = cells[0]!.trim();
    const named = header === 'downstream' ? cells.slice(1) : cells.slice(0, 1);
    for (const cell of named) for (const m of cell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) documented.add(m[1]!);
  }
  const read = allVariables();
  for (const name of read)
    assert.ok(documented.has(name), `${name} is read by the app but missing from the README's configuration tables`);
  for (const name of documented)
    assert.ok(read.has(name), `${name} is documented in the README but the app never reads it`);
});

test('every relative link in the README points at a file of the repository', () => {
  for (const [, target] of readme.matchAll(/\]\((?!https?:|#)([^)]+)\)/g)) {
    const [file, anchor] = target!.split('#');
    assert.ok(fs.existsSync(path.join(PROJECT_ROOT, file!)), `broken link: ${target}`);
    if (anchor) {
      // GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes.
      const slugs = [...fs.readFileSync(path.join(PROJECT_ROOT, file!), 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      );
      assert.ok(slugs.includes(anchor), `broken anchor: ${target}`);
    }
  }
});

test('the map of the code names every folder of src/, every doc, scripts/ and test/', () => {
  const map = readme.split('## Map of the code')[1]?.split('\n## ')[0] ?? '';
  const block = /```\n([\s\S]*?)```/.exec(map)?.[1] ?? '';
  assert.ok(block, 'the README has a "Map of the code" section with the tree in a code block');
  const entries = (dir: string) => fs.readdirSync(path.join(PROJECT_ROOT, dir), { withFileTypes: true });
  const folders = entries('src')
    .filter((e) => e.isDirectory())
    .map((e) => `${e.name}/`);
  for (const folder of folders)
    assert.match(block, new RegExp(`^  ${folder}`, 'm'), `src/${folder} is missing from the map`);
  const docs = entries('docs')
    .filter((e) => e.name.endsWith('.md'))
    .map((e) => e.name);
  for (const doc of docs) assert.ok(block.includes(doc), `docs/${doc} is missing from the map`);
  for (const top of ['src/', 'scripts/', 'test/', 'docs/'])
    assert.match(block, new RegExp(`^${top}`, 'm'), `${top} is missing`);
});
