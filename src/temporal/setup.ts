import { loadConfig, temporalSchema } from '../config';
import { connect } from './connection';
import { waitUntilReachable } from './dev-server';
import { registerSearchAttributes } from './search-attributes';

/**
 * `setup`: waits for the Temporal frontend, then registers the order search attributes in the
 * namespace. Idempotent; used as a one-shot job by docker-compose and by `npm start`.
 */
export async function runSetup(log: (message: string) => void = (m) => process.stdout.write(`${m}\n`)): Promise<void> {
  const config = loadConfig(temporalSchema);
  await waitUntilReachable(config.TEMPORAL_ADDRESS, undefined, 120_000);
  const connection = await connect(config);
  try {
    const added = await registerSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
    log(
      added.length > 0 ? `registered search attributes: ${added.join(', ')}` : 'search attributes already registered',
    );
  } finally {
    await connection.close();
  }
}
