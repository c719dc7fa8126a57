import { spawnSync } from 'node:child_process';
import { resolveBinary, TEMPORAL_CLI } from './binaries';

/**
 * `npm run temporal:cli -- <args>`: the `temporal` CLI the stack uses (env var, PATH or the
 * project cache), so README commands work without installing the CLI globally.
 */
export async function runTemporalCli(args: string[] = process.argv.slice(3)): Promise<void> {
  const cli = await resolveBinary(TEMPORAL_CLI, { log: (m) => process.stderr.write(`${m}\n`) });
  if (!cli) throw new Error('Temporal CLI not found: set TEMPORAL_CLI_PATH or put `temporal` on PATH');
  const result = spawnSync(cli.path, args, { stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
}
