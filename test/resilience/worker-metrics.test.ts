import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { findOnPath } from '../../src/temporal/binaries';
import { mergeExpositions, workerExposition } from '../../src/temporal/core-metrics';
import { createOrdersByStatusMetrics, ordersInStatusQuery } from '../../src/temporal/orders-by-status';
import { OrderStatus } from '../../src/workflows/order-status';

/**
 * Problems of a text exposition (format 0.0.4) that would make a scrape fail or mislead: a
 * malformed line, a family declared twice, or a family whose samples are not together.
 */
function expositionProblems(text: string): string[] {
  const problems: string[] = [];
  const typed = new Map<string, string>();
  const finished = new Set<string>();
  let current: string | undefined;
  const familyOf = (name: string) => {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return typed.get(base) === 'histogram' || typed.get(base) === 'summary' ? base : name;
  };
  const enter = (family: string) => {
    if (family === current) return;
    if (finished.has(family)) problems.push(`samples of ${family} are not together`);
    if (current) finished.add(current);
    current = family;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string | undefined];
      if (kind === 'TYPE') {
        if (typed.has(name)) problems.push(`${name} declared twice`);
        typed.set(name, rest ?? '');
      }
      enter(name);
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)( -?\d+)?$/.exec(line);
    if (!sample || Number.isNaN(Number(sample[3]!.replace(/^\+?Inf$/, 'Infinity')))) {
      problems.push(`malformed line: ${line}`);
      continue;
    }
    enter(familyOf(sample[1]!));
  }
  return problems;
}

test('the worker serves the breaker metrics, orders_by_status and the SDK core metrics as one valid exposition', () => {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, '../fixtures/worker-metrics-child.ts')],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(child.status, 0, child.stderr);
  const scrape = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
    status: number;
    contentType: string;
    body: string;
    queries: string[];
  };
  assert.equal(scrape.status, 200);
  assert.match(scrape.contentType, /^text\/plain; version=0\.0\.4/);
  const body = scrape.body;
  assert.match(body, /^circuit_breaker_state\{downstream="payments"\} 2$/m);
  assert.match(body, /^circuit_breaker_state\{downstream="inventory"\} 0$/m); // known breakers show from the start
  assert.match(body, /^circuit_breaker_rejected_calls_total\{downstream="inventory"\} 0$/m);
  assert.match(body, /^orders_by_status\{status="AWAITING_APPROVAL"\} 3$/m);
  assert.match(body, /^orders_by_status\{status="NEEDS_ATTENTION"\} 0$/m);
  assert.match(body, /^orders_by_status_errors_total 0$/m);
  assert.equal(scrape.queries.length, Object.keys(OrderStatus).length);
  for (const family of [
    'temporal_workflow_task_schedule_to_start_latency_bucket',
    'temporal_workflow_task_execution_latency_bucket',
    'temporal_worker_task_slots_available',
    'temporal_worker_task_slots_used',
    'temporal_sticky_cache_size',
    'temporal_num_pollers',
    'temporal_workflow_completed_total',
  ]) {
    assert.match(body, new RegExp(`^${family}\\{[^}]*task_queue="worker-metrics"`, 'm'), family);
  }
  assert.deepEqual(expositionProblems(body), []);
  const promtool = findOnPath('promtool');
  if (promtool) {
    // Exit 1 is a parse error; 3 is only lint advice.
    const check = spawnSync(promtool, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    assert.notEqual(check.status, 1, check.stderr);
  }
});

test('core families whose names the worker already uses are left out, so no family is declared twice', () => {
  const own =
    '# HELP up_total x\n# TYPE up_total counter\nup_total 1\n# TYPE lat histogram\nlat_bucket{le="+Inf"} 1\nlat_sum 1\nlat_count 1\n';
  const core = [
    '# HELP up_total clash',
    '# TYPE up_total counter',
    'up_total{a="b"} 5',
    '# TYPE lat_count gauge',
    'lat_count 3',
    '# HELP temporal_x fine',
    '# TYPE temporal_x histogram',
    'temporal_x_bucket{le="1"} 0',
    'temporal_x_bucket{le="+Inf"} 2',
    'temporal_x_sum 4',
    'temporal_x_count 2',
    '',
  ].join('\n');
  const { text, dropped } = mergeExpositions(own, core);
  assert.deepEqual(dropped, ['up_total', 'lat_count']);
  assert.match(text, /^temporal_x_count 2$/m);
  assert.doesNotMatch(text, /up_total\{a="b"\}/);
  assert.deepEqual(expositionProblems(text), []);
});

test("the worker's own metrics are served when core's exporter does not answer, and the failure is counted", async () => {
  const registry = new Registry();
  const errors = new Counter({ name: 'worker_core_metrics_errors_total', help: 'x', registers: [registry] });
  const text = await workerExposition(registry, { coreUrl: 'http://127.0.0.1:9/metrics', errors, timeoutMs: 500 });
  assert.match(text, /^worker_core_metrics_errors_total 1$/m);
});

function ordersRig(count: (query: string) => Promise<number>, timeoutMs = 1_000) {
  let clock = 1_000_000;
  const registry = new Registry();
  const errors: unknown[] = [];
  createOrdersByStatusMetrics(registry, {
    count,
    cacheMs: 1,
    timeoutMs,
    now: () => clock,
    onError: (e) => errors.push(e),
  });
  const scrape = async () => {
    const text = await registry.metrics();
    const value = (status: string) =>
      Number(new RegExp(`^orders_by_status\\{status="${status}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    return {
      parked: value('NEEDS_ATTENTION'),
      errors: Number(/^orders_by_status_errors_total (\S+)$/m.exec(text)?.[1]),
    };
  };
  return { scrape, errors, advance: (ms: number) => (clock += ms) };
}

test('orders_by_status counts each status once per 15 s however often it is scraped', async () => {
  const queries: string[] = [];
  let parked = 2;
  const rig = ordersRig((query) => {
    queries.push(query);
    return Promise.resolve(query === ordersInStatusQuery(OrderStatus.NEEDS_ATTENTION) ? parked : 0);
  });
  assert.deepEqual(await rig.scrape(), { parked: 2, errors: 0 });
  const perRefresh = queries.length;
  assert.equal(perRefresh, Object.keys(OrderStatus).length);
  parked = 5;
  rig.advance(14_999); // cacheMs: 1 is raised to the 15 s floor
  await Promise.all([rig.scrape(), rig.scrape()]);
  assert.deepEqual(await rig.scrape(), { parked: 2, errors: 0 });
  assert.equal(queries.length, perRefresh);
  rig.advance(1);
  await Promise.all([rig.scrape(), rig.scrape()]); // concurrent scrapes share one refresh
  assert.deepEqual(await rig.scrape(), { parked: 5, errors: 0 });
  assert.equal(queries.length, 2 * perRefresh);
  assert.match(
    ordersInStatusQuery(OrderStatus.NEEDS_ATTENTION),
    /OrderStatus = 'NEEDS_ATTENTION' AND ExecutionStatus = 'Running'$/,
  );
  assert.doesNotMatch(ordersInStatusQuery(OrderStatus.COMPLETED), /ExecutionStatus/);
});

test('a failing or hanging visibility leaves the last counts and increments orders_by_status_errors_total', async () => {
  let mode: 'ok' | 'fail' | 'hang' = 'ok';
  const rig = ordersRig(async () => {
    if (mode === 'fail') throw new Error('visibility unavailable');
    if (mode === 'hang') return new Promise<number>(() => {});
    return 7;
  }, 200);
  assert.deepEqual(await rig.scrape(), { parked: 7, errors: 0 });
  mode = 'fail';
  rig.advance(15_000);
  assert.deepEqual(await rig.scrape(), { parked: 7, errors: 1 });
  assert.deepEqual(await rig.scrape(), { parked: 7, errors: 1 }); // no retry before the cache period ends
  mode = 'hang';
  rig.advance(15_000);
  const started = Date.now();
  assert.deepEqual(await rig.scrape(), { parked: 7, errors: 2 });
  assert.ok(Date.now() - started < 2_000, 'the scrape waited past the timeout');
  assert.equal(rig.errors.length, 2);
});
