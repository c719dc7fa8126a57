/**
 * Child processes of the chaos run: started with their own environment, their output kept in
 * one log file each, killed hard or politely on demand, and ALL stopped when the run ends, fails
 * or is interrupted (SIGINT/SIGTERM), so no server outlives the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/paths';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
}

interface Running {
  spec: ChildSpec;
  process: ChildProcess;
  exited: Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Supervisor {
  private readonly children = new Map<string, Running>();
  private stopping: Promise<void> | null = null;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.say(`${signal}: stopping every child process`);
    void this.stopAll().finally(() => process.exit(130));
  };

  constructor(
    readonly logDir: string,
    private readonly say: (message: string) => void,
  ) {
    fs.mkdirSync(logDir, { recursive: true });
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    // Last resort when the run throws past its own cleanup: no orphaned servers.
    process.once('exit', () => {
      for (const name of this.children.keys()) if (this.alive(name)) this.signal(name, 'SIGKILL');
    });
  }

  logFile(name: string): string {
    return path.join(this.logDir, `${name}.log`);
  }

  start(spec: ChildSpec): ChildProcess {
    if (this.alive(spec.name)) throw new Error(`${spec.name} is already running`);
    const out = fs.openSync(this.logFile(spec.name), 'a');
    // Its own process group, so a kill reaches anything it spawned too (the dev server's helpers).
    const child = spawn(spec.command, spec.args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', out, out],
      detached: true,
    });
    fs.closeSync(out);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.children.set(spec.name, { spec, process: child, exited });
    return child;
  }

  /** Runs a one-shot child (a setup job) to its end; its exit code, or a throw after `timeoutMs`. */
  async runToEnd(spec: ChildSpec, timeoutMs: number): Promise<number> {
    const child = this.start(spec);
    const exited = this.children.get(spec.name)!.exited;
    const timer = setTimeout(() => this.signal(spec.name, 'SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
    if (child.signalCode !== null) throw new Error(`${spec.name} did not finish within ${timeoutMs / 1000} s`);
    return child.exitCode ?? 1;
  }

  /** Signals the child's whole process group. */
  private signal(name: string, signal: NodeJS.Signals): void {
    const pid = this.children.get(name)?.process.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }

  /** The running child's pid (its process group's id too), for sampling its CPU and memory; undefined when not running. */
  pid(name: string): number | undefined {
    return this.alive(name) ? this.children.get(name)?.process.pid : undefined;
  }

  alive(name: string): boolean {
    const child = this.children.get(name)?.process;
    return Boolean(child && child.exitCode === null && child.signalCode === null);
  }

  /** Throws when a child that should be running has died (a crashed service is a failed run, not a slow one). */
  assertAlive(...names: string[]): void {
    for (const name of names)
      if (!this.alive(name)) throw new Error(`${name} exited unexpectedly; see ${this.logFile(name)}`);
  }

  /** SIGKILL: no shutdown hook runs, in-flight work is simply gone (what a crashed host looks like). */
  async kill(name: string): Promise<void> {
    const child = this.children.get(name);
    if (!child || !this.alive(name)) return;
    this.signal(name, 'SIGKILL');
    await child.exited;
  }

  restart(name: string): void {
    const child = this.children.get(name);
    if (!child) throw new Error(`${name} was never started`);
    this.start(child.spec);
  }

  /** SIGTERM in reverse start order, SIGKILL after a grace period. Idempotent. */
  stopAll(graceMs = 10_000): Promise<void> {
    this.stopping ??= (async () => {
      for (const [name, child] of [...this.children].reverse()) {
        if (!this.alive(name)) continue;
        this.signal(name, 'SIGTERM');
        const timer = setTimeout(() => this.signal(name, 'SIGKILL'), graceMs);
        await child.exited;
        clearTimeout(timer);
        // Anything left in its group (a helper it spawned) goes too.
        this.signal(name, 'SIGKILL');
      }
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
    })();
    return this.stopping;
  }

  /** Waits until `url` answers 2xx, failing early if the child serving it died. */
  async waitForHttp(url: string, child: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      this.assertAlive(child);
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
        if (res.ok) return;
      } catch {
        // not up yet
      }
      await sleep(250);
    }
    throw new Error(`${url} did not answer within ${timeoutMs / 1000} s; see ${this.logFile(child)}`);
  }

  async waitForPort(host: string, port: number, child: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      this.assertAlive(child);
      if (await isListening(host, port)) return;
      await sleep(250);
    }
    throw new Error(
      `${host}:${port} did not accept connections within ${timeoutMs / 1000} s; see ${this.logFile(child)}`,
    );
  }
}

export function isListening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
