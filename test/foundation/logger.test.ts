/**
 * Log format: pino-pretty on a terminal, one JSON object per line anywhere else, LOG_FORMAT
 * over both; and the workflow bundler's module listing kept out of the info logs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ConfigError } from '../../src/config';
import { chooseLogFormat, createLogger, type LogFormat } from '../../src/logger';
import { PROJECT_ROOT } from '../../src/paths';
import { sdkLoggerFromPino } from '../../src/worker';

function capture(format: LogFormat, level = 'info') {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('test', level as 'info', { format, destination }), text: () => chunks.join('') };
}

const jsonLines = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

test('a terminal gets pretty logs, anything else JSON, and LOG_FORMAT overrides both', () => {
  assert.equal(chooseLogFormat({}, true), 'pretty');
  assert.equal(chooseLogFormat({}, false), 'json');
  assert.equal(chooseLogFormat({ LOG_FORMAT: 'json' }, true), 'json');
  assert.equal(chooseLogFormat({ LOG_FORMAT: 'pretty' }, false), 'pretty');
  assert.equal(chooseLogFormat({ LOG_FORMAT: '' }, false), 'json'); // empty = unset
  assert.throws(
    () => chooseLogFormat({ LOG_FORMAT: 'xml' }, true),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /LOG_FORMAT: expected json or pretty \(got "xml"\)/);
      return true;
    },
  );
});

test('JSON logs are one object per line, multi-line messages included', () => {
  const { logger, text } = capture('json');
  logger.info({ orderId: 'order-1' }, 'first line\nsecond line');
  logger.error({ err: new Error('boom') }, 'failed');
  const [first, second] = jsonLines(text());
  assert.deepEqual([first!.component, first!.orderId, first!.msg], ['test', 'order-1', 'first line\nsecond line']);
  assert.equal((second!.err as { message: string }).message, 'boom');
});

test('pretty logs are readable lines naming the component, with the fields on the same line', () => {
  const { logger, text } = capture('pretty');
  logger.info({ orderId: 'order-1' }, 'order status transition');
  assert.match(text(), /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO.*: \[test\] order status transition .*"orderId":"order-1"/);
});

test('a process whose stdout is not a terminal logs JSON unless LOG_FORMAT says pretty', () => {
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', '-e', "require('./src/logger').createLogger('probe').info('hi')"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, LOG_FORMAT: '', ...env },
      encoding: 'utf8',
    }).stdout;
  assert.deepEqual(
    jsonLines(run({})).map((l) => [l.component, l.msg]),
    [['probe', 'hi']],
  );
  assert.match(run({ LOG_FORMAT: 'pretty' }), /INFO.*\[probe\] hi/);
});

test("the SDK bundler's module listing is not an info line; its warnings still are warnings", async () => {
  const { logger, text } = capture('json', 'debug');
  await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows/order-fulfillment'),
    logger: sdkLoggerFromPino(logger),
  });
  const lines = jsonLines(text());
  const atInfo = lines.filter((l) => (l.level as number) >= 30).map((l) => String(l.msg));
  assert.ok(atInfo.includes('Workflow bundle created'), atInfo.join('\n'));
  assert.ok(!atInfo.some((m) => /modules by path|webpack \d/.test(m)), atInfo.join('\n'));
  // Still there for whoever asks for debug.
  assert.ok(lines.some((l) => l.level === 20 && /^webpack \d+\.\d+\.\d+ compiled/m.test(String(l.msg))));

  const warned = capture('json');
  const listing =
    'asset bundle.js 1 MiB\nWARNING in ./src/x.ts\nModule not found: y\n\nwebpack 5.99.0 compiled with 1 warning';
  sdkLoggerFromPino(warned.logger).info(listing, { sdkComponent: 'worker' });
  const [warning, ...rest] = jsonLines(warned.text());
  assert.equal(warning!.level, 40);
  assert.equal(warning!.msg, 'workflow bundle built with warnings:\nWARNING in ./src/x.ts\nModule not found: y');
  assert.equal(warning!.sdkComponent, 'worker');
  assert.deepEqual(rest, []); // the listing itself went to debug, below this logger's level
});
