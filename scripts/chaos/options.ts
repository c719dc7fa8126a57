/** What the run scripts share around a run: numeric options, and a folder of data and logs for the run's children. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Supervisor } from './supervisor';

/** `--name <n>` as a number ≥ `min`, or `fallback` when absent. */
export function numberOption(value: string | undefined, fallback: number, name: string, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} expects a number ≥ ${min} (got ${value})`);
  return n;
}

/**
 * Runs `work` with a fresh temporary folder and a supervisor logging into it; then stops every
 * child and removes the folder, unless `keep` is set or the work failed (kept for its logs).
 */
export async function inRunFolder<T>(
  prefix: string,
  { keep, say }: { keep: boolean; say: (message: string) => void },
  work: (sup: Supervisor, dataDir: string) => Promise<T>,
): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const sup = new Supervisor(path.join(dataDir, 'logs'), say);
  let failed = true;
  try {
    const result = await work(sup, dataDir);
    failed = false;
    return result;
  } finally {
    await sup.stopAll();
    if (!failed && !keep) fs.rmSync(dataDir, { recursive: true, force: true });
    else say(`data and logs kept in ${dataDir}`);
  }
}
