import { loadConfig, temporalSchema } from '../config';
import { createLogger } from '../logger';
import { connectClient } from '../temporal/connection';
import { createApp } from './app';
import { apiSchema } from './config';

export async function runApiServer(): Promise<void> {
  const config = loadConfig(apiSchema);
  const temporal = loadConfig(temporalSchema);
  const log = createLogger('api');
  const client = await connectClient(temporal);
  const app = createApp({ client });
  const server = app.listen(config.API_PORT, config.API_HOST, () => log.info({ port: config.API_PORT }, 'orders API listening'));
  const stop = () => {
    log.info('shutting down');
    server.close(() => void client.connection.close().finally(() => process.exit(0)));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
