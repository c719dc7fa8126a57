/**
 * One entry point, several roles: `stack` (everything, for local development), `temporal`
 * (the dev server alone), `worker`, `api`, `services` (the reference downstream services)
 * `setup` (register search attributes), `cli` (the resolved `temporal` CLI) and `install-temporal` (fill the binary cache). `npm start` runs `stack`.
 */
import { runApiServer } from './api/server';
import { ConfigError } from './config';
import { runReferenceServices } from './services/server';
import { runStack } from './stack';
import { runDevServerForeground } from './temporal/dev-server';
import { runTemporalCli } from './temporal/cli';
import { installTemporalBinaries } from './temporal/install';
import { runSetup } from './temporal/setup';
import { runWorker } from './worker';

const commands: Record<string, () => Promise<unknown>> = {
  stack: runStack,
  temporal: runDevServerForeground,
  worker: runWorker,
  api: runApiServer,
  services: runReferenceServices,
  setup: runSetup,
  cli: runTemporalCli,
  'install-temporal': installTemporalBinaries,
};

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'stack';
  const command = commands[name];
  if (!command) {
    process.stderr.write(`Unknown command "${name}". Expected one of: ${Object.keys(commands).join(', ')}\n`);
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
