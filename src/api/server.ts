/**
 * `npm run api`: the orders API as a process. Connects to Temporal, serves on API_HOST
 * (loopback unless configured otherwise) and drains in-flight requests on SIGINT/SIGTERM.
 * The HTTP server comes from http-server.ts, which answers malformed HTTP as problems too.
 */
import { Client } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadConfig, temporalSchema } from '../config';
import { createLogger } from '../logger';
import { connect } from '../temporal/connection';
import { startTracing } from '../tracing';
import { createApp } from './app';
import { apiSchema, devCredentials } from './config';
import { createApiServer } from './http-server';

export async function runApiServer(): Promise<void> {
  const config = loadConfig(apiSchema);
  const temporal = loadConfig(temporalSchema);
  const log = createLogger('api');
  const development = devCredentials(config);
  if (development.length > 0) {
    log.warn(
      { variables: development },
      `${development.join(', ')}: well-known development values in use; set your own outside local development`,
    );
  }
  const tracing = startTracing('api');
  if (tracing) log.info({ serviceName: tracing.serviceName }, 'tracing on: exporting spans over OTLP');
  // With tracing on, starting an order (and every other client call) continues the request's trace.
  const client = new Client({
    connection: await connect(temporal),
    namespace: temporal.TEMPORAL_NAMESPACE,
    ...(tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}),
  });
  const closeAll = () => client.connection.close().finally(() => tracing?.shutdown());
  const metricsRegistry = new Registry();
  collectDefaultMetrics({ register: metricsRegistry });
  const app = createApp({ client, config, logger: log, metricsRegistry });
  const server = createApiServer(app, log).listen(config.API_PORT, config.API_HOST, () =>
    log.info(
      {
        host: config.API_HOST,
        port: config.API_PORT,
        namespace: temporal.TEMPORAL_NAMESPACE,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
      },
      'orders API listening',
    ),
  );
  server.once('error', (err) => {
    log.error({ err }, 'orders API could not listen');
    void closeAll().finally(() => process.exit(1));
  });
  const stop = () => {
    log.info('shutting down');
    server.close(() => void closeAll().finally(() => process.exit(0)));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
