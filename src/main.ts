/**
 * One entry point, several roles: `stack` (everything, for local development), `temporal`
 * (the dev server alone), `worker`, `api`, `services` (the reference downstream services),
 * `setup` (register search attributes), `cli` (the resolved `temporal` CLI),
 * `install-temporal` (fill the binary cache) and `replay` (replay the cluster's histories
 * against this build's workflow code, before deploying it). `npm start` runs `stack`.
 * See `commands.ts`. Failures go to stderr as plain text (they are read by people).
 */
import { COMMANDS } from './commands';
import { ConfigError } from './config';

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'stack';
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`Unknown command "${name}". Expected one of: ${Object.keys(COMMANDS).join(', ')}\n`);
    process.exit(64);
  }
  await command();
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
