/**
 * The benchmark's outputs: `performance.json` (everything: options, machine, every round's raw
 * figures, medians, ratios, targets, processes, recovery) and the generated section of
 * `performance.md`, between the markers, leaving the hand-written rest of the file alone. Both
 * go through Prettier, so `npm run format:check` stays green after a run.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import { MEASURED_PHASES, NOISY_SHARE, noisyPhases, type Target } from './figures';
import { ELSEWHERE } from './process-stats';
import type { Latency } from './phases';
import { machineLine } from './machine';
import type { BenchResult } from './run';
import { SYSTEMS } from './systems';

export const BEGIN = '<!-- bench:begin -->';
export const END = '<!-- bench:end -->';

const fixed = (v: number | null | undefined, digits: number) =>
  v === null || v === undefined ? 'n/a' : v.toFixed(digits);
const seconds = (msValue: number | null) => (msValue === null ? 'n/a' : `${(msValue / 1000).toFixed(1)} s`);
const verdict = (t: Target | undefined) => (t ? `${t.target} | ${t.pass ? 'PASS' : 'FAIL'}` : '— | ');

function figureTable(r: BenchResult): string[] {
  const { ceiling, saga } = r.medians;
  const target = (figure: string) => r.targets.find((t) => t.figure === figure);
  const inFlight = r.options.inFlight;
  const row = (label: string, c: string, s: string, ratio: number | null, t: Target | undefined) =>
    `| ${label} | ${c} | ${s} | ${fixed(ratio, 2)} | ${verdict(t)} |`;
  const latencyRows = (name: string, c: Latency | null, s: Latency | null, p50Target?: Target) =>
    (['p50', 'p95', 'p99'] as const).map((p) => {
      const cv = c?.[p] ?? null;
      const sv = s?.[p] ?? null;
      return row(
        `${name} ${p} (ms)`,
        fixed(cv, 0),
        fixed(sv, 0),
        cv && sv !== null ? sv / cv : null,
        p === 'p50' ? p50Target : undefined,
      );
    });
  return [
    '| figure | ceiling | saga | saga / ceiling | target | result |',
    '| --- | ---: | ---: | ---: | --- | --- |',
    row(
      `throughput (orders/s, ${inFlight} in flight)`,
      fixed(ceiling.throughput, 2),
      fixed(saga.throughput, 2),
      r.ratios.throughput,
      target('throughput saga / ceiling'),
    ),
    row(
      `submit rate (submissions/s, ${inFlight} at a time)`,
      fixed(ceiling.submitRate, 1),
      fixed(saga.submitRate, 1),
      r.ratios.submitRate,
      target('submit rate saga / ceiling'),
    ),
    ...latencyRows('unloaded', ceiling.unloaded, saga.unloaded, target('unloaded p50 saga / ceiling')),
    ...latencyRows(`loaded (${inFlight} in flight)`, ceiling.loaded, saga.loaded),
    row(
      'history events per order',
      String(r.historyEvents.ceiling),
      String(r.historyEvents.saga),
      r.historyEvents.saga / r.historyEvents.ceiling,
      undefined,
    ),
  ];
}

function noiseLines(r: BenchResult): string[] {
  const noisy = noisyPhases(r.rounds, r.machine.cores);
  if (noisy.length === 0) return [];
  return [
    '',
    `**Noisy run:** other programs took more than ${NOISY_SHARE * 100} % of the machine's CPU during ${noisy.join(', ')} (the \`${ELSEWHERE}\` rows below); those figures are lower than this machine gives, and the ratios skewed. Run again on a quiet machine.`,
  ];
}

function failureLines(r: BenchResult): string[] {
  const lines: string[] = [];
  r.rounds.forEach((round, i) => {
    for (const system of SYSTEMS)
      for (const [phase, p] of Object.entries(round[system]))
        if (p.failed > 0)
          lines.push(
            `- round ${i + 1}, ${system}, ${phase}: ${p.failed} of ${p.orders} failed (${p.errors.slice(0, 2).join('; ')})`,
          );
  });
  return lines.length ? ['', '**Failed orders** (left out of the figures):', '', ...lines] : [];
}

function processTable(r: BenchResult): string[] {
  const rows = [
    '| process | system | CPU s unloaded | CPU s throughput | CPU s submit | CPU ms / order (throughput) | peak RSS MB unloaded / throughput / submit |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, p] of Object.entries(r.processes))
    for (const system of SYSTEMS) {
      const cpu = MEASURED_PHASES.map((phase) => fixed(p.cpuSeconds[system][phase], 1));
      const rss =
        name === ELSEWHERE ? '—' : MEASURED_PHASES.map((phase) => fixed(p.peakRssMb[system][phase], 0)).join(' / ');
      rows.push(`| ${name} | ${system} | ${cpu.join(' | ')} | ${fixed(p.cpuMsPerOrder[system], 1)} | ${rss} |`);
    }
  return rows;
}

function rssLine(r: BenchResult): string {
  const parts = Object.entries(r.processes)
    .filter(([name]) => name !== ELSEWHERE)
    .map(([name, p]) => {
      const { afterWarmupMb: a, afterRoundsMb: m, endMb: e, growthMb: g, growthPct: pct } = p.rss;
      const sign = g >= 0 ? '+' : '−';
      return `${name} ${a.toFixed(0)} → ${m.toFixed(0)} → ${e.toFixed(0)} MB (${sign}${Math.abs(g).toFixed(0)} MB, ${pct === null ? 'n/a' : `${sign}${Math.abs(pct).toFixed(0)} %`})`;
    });
  const end = r.recovery ? 'the end of the run (after the recovery scenario)' : 'the end of the run';
  return `**RSS flat after warm-up?** At the end of round 1's warm-ups → after the rounds → at ${end}, growth from first to last: ${parts.join('; ')}.`;
}

function recoveryLines(r: BenchResult): string[] {
  const rec = r.recovery;
  if (!rec) return ['', '### Recovery', '', 'Skipped (`--skip-recovery`).'];
  const target = r.targets.find((t) => t.figure.startsWith('recovery'));
  const throughput = r.medians.saga.throughput;
  const outcomes = Object.entries(rec.outcomes)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    '',
    '### Recovery',
    '',
    `- Payments down ${rec.outageSeconds} s (503 to every call) while happy-path orders arrive at ${rec.rate}/s, from ${rec.beforeSeconds} s before the outage to ${rec.afterSeconds} s after it: ${rec.submitted} submitted, ${rec.accepted} accepted, ${rec.completed} completed (${outcomes}).`,
    `- Recovery (outage end → first completion of an order that passed payments after it): **${seconds(rec.recoveryMs)}**; target ≤ 5 s: ${target?.pass ? 'PASS' : 'FAIL'}.`,
    `- Backlog: ${rec.backlog} orders held up by the outage (${rec.backlogCompleted} completed); drained ${seconds(rec.drainMs)} after the outage; queueing bound ${rec.backlog} / ${fixed(throughput, 2)} orders/s = ${seconds(rec.boundMs)}; drain / bound = ${fixed(rec.drainOverBound, 2)}.`,
  ];
}

export function generatedSection(r: BenchResult): string {
  const o = r.options;
  return [
    BEGIN,
    '',
    `_Generated by \`npm run bench\`; the rest of this file is written by hand._`,
    '',
    `**Machine:** ${machineLine(r.machine)}.`,
    '',
    `**Run:** ${o.rounds} round(s), ceiling and saga alternately; per system and round: warm-up ${o.warmup} orders, unloaded ${o.unloaded} orders one at a time, throughput ${o.orders} orders with ${o.inFlight} in flight, submit rate ${o.submit} submissions ${o.inFlight} at a time. Medians over rounds. Took ${(r.durationMs / 60_000).toFixed(1)} min.`,
    '',
    ...figureTable(r),
    ...noiseLines(r),
    ...failureLines(r),
    '',
    '### Processes',
    '',
    `CPU seconds used in each phase and peak RSS, medians over rounds; \`bench\` is the load generator (this script) itself, \`${ELSEWHERE}\` the CPU every other program on the machine used meanwhile.`,
    '',
    ...processTable(r),
    '',
    rssLine(r),
    ...recoveryLines(r),
    '',
    END,
  ].join('\n');
}

async function formatted(file: string, text: string): Promise<string> {
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...config, filepath: file });
}

/** Writes `performance.json` and the generated section of `performance.md` in `dir`; returns both paths. */
export async function writeReport(r: BenchResult, dir: string): Promise<{ json: string; markdown: string }> {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'performance.json');
  // Three decimals are plenty for milliseconds, seconds and megabytes, and keep the file readable.
  const rounded = JSON.stringify(r, (_key, v: unknown) =>
    typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v,
  );
  fs.writeFileSync(json, await formatted(json, rounded));

  const markdown = path.join(dir, 'performance.md');
  const section = generatedSection(r);
  const current = fs.existsSync(markdown) ? fs.readFileSync(markdown, 'utf8') : null;
  let text: string;
  if (current === null) text = `# Benchmark results\n\nWhat is measured and how: docs/performance.md.\n\n${section}\n`;
  else if (current.includes(BEGIN) && current.includes(END))
    text = current.slice(0, current.indexOf(BEGIN)) + section + current.slice(current.indexOf(END) + END.length);
  else text = `${current.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(markdown, await formatted(markdown, text));
  return { json, markdown };
}
