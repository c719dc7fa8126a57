/** The machine a benchmark ran on, for its report: the figures mean little without it. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { TEMPORAL_CLI } from '../../src/temporal/binaries';

export interface Machine {
  cpu: string;
  cores: number;
  ramGb: number;
  os: string;
  node: string;
  /** `temporal --version` of the CLI that ran the dev server (its server and UI versions included). */
  temporalCli: string;
  date: string;
}

function osName(): string {
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1];
    if (pretty) return `${pretty} (${os.type()} ${os.release()})`;
  } catch {
    // not a Linux with os-release
  }
  return `${os.type()} ${os.release()}`;
}

export function describeMachine(temporalCliPath: string | undefined): Machine {
  let temporalCli = `${TEMPORAL_CLI.version} (pinned; \`temporal --version\` did not answer)`;
  if (temporalCliPath) {
    try {
      temporalCli = execFileSync(temporalCliPath, ['--version'], { encoding: 'utf8', timeout: 10_000 })
        .trim()
        .replace(/^temporal version /, '');
    } catch {
      // leave it unknown
    }
  }
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    ramGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    node: process.version,
    temporalCli,
    date: new Date().toISOString(),
  };
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.ramGb} GB RAM; ${m.os}; Node ${m.node}; Temporal CLI ${m.temporalCli}; ${m.date.slice(0, 16).replace('T', ' ')} UTC`;
}
