import { runApiServer } from './api/server';
import { runReplay } from './replay';
import { runReferenceServices } from './services/server';
import { runStack } from './stack';
import { runDevServerForeground } from './temporal/dev-server';
import { runTemporalCli } from './temporal/cli';
import { installTemporalBinaries } from './temporal/install';
import { runSetup } from './temporal/setup';
import { runWorker } from './worker';

/** The roles of the one program (`tsx src/main.ts <role>`, `node dist/main.js <role>`). */
export const COMMANDS: Record<string, () => Promise<unknown>> = {
  stack: runStack,
  temporal: runDevServerForeground,
  worker: runWorker,
  api: runApiServer,
  services: runReferenceServices,
  setup: runSetup,
  cli: runTemporalCli,
  'install-temporal': installTemporalBinaries,
  replay: runReplay,
};
