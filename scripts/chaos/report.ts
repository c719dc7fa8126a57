/** The chaos run's figures, one line each, for the script and the short test alike. */
import { FIGURE_LABELS, type Figures } from './audit';
import type { ChaosReport } from './run';

export function printReport(report: ChaosReport, out: (m: string) => void): void {
  const seconds = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
  out(
    `orders submitted ${report.submitted}, accepted ${report.accepted}${Object.keys(report.refused).length ? `, refused ${JSON.stringify(report.refused)}` : ''}`,
  );
  out(
    `outcomes ${Object.entries(report.outcomes)
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  out(`worker restarts ${report.workerRestarts}`);
  const lost = Object.entries(report.lostAnswers).sort();
  out(
    `answers lost after the effect (injected) ${lost.reduce((n, [, v]) => n + v, 0)}${lost.length ? ` (${lost.map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}`,
  );
  for (const [key, label] of Object.entries(FIGURE_LABELS) as [keyof Figures, string][]) {
    const list = report.figures[key];
    out(`${label.padEnd(36)} ${list.length}${list.length > 0 ? `  e.g. ${list.slice(0, 5).join('; ')}` : ''}`);
  }
  out(`recovery time (end of outage → first completion through it)   ${seconds(report.recoveryMs)}`);
  out(`backlog cleared (end of outage → last held-up order completed) ${seconds(report.backlogClearedMs)}`);
  out(`duration ${seconds(report.durationMs)}`);
}
