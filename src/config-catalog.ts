/**
 * Every environment variable the app reads, by the role that reads it. The README's
 * configuration table and docker-compose.yml are checked against this list by tests.
 */
import { downstreamSchema } from './activities/clients/config';
import { resilienceSchema } from './activities/resilience/config';
import { apiSchema } from './api/config';
import { logSchema, temporalSchema } from './config';
import { servicesSchema } from './services/config';
import { workerDeploymentSchema } from './temporal/worker-deployment';

export type Role = 'worker' | 'api' | 'services' | 'setup' | 'stack';

interface Section {
  title: string;
  /** A zod object schema whose keys are the variable names. */
  schema: { shape: Record<string, unknown> };
  readBy: Role[];
}

export const CONFIG_SECTIONS: Section[] = [
  { title: 'Temporal connection', schema: temporalSchema, readBy: ['worker', 'api', 'setup', 'stack'] },
  { title: 'Logging', schema: logSchema, readBy: ['worker', 'api', 'services', 'setup', 'stack'] },
  { title: 'Orders API', schema: apiSchema, readBy: ['api', 'stack'] },
  { title: 'Downstream systems (worker)', schema: downstreamSchema, readBy: ['worker'] },
  { title: 'Resilience (worker)', schema: resilienceSchema, readBy: ['worker'] },
  { title: 'Worker deployment (worker)', schema: workerDeploymentSchema, readBy: ['worker'] },
  { title: 'Reference services', schema: servicesSchema, readBy: ['services', 'stack'] },
];

/**
 * Read outside the zod schemas: the Temporal binary resolver and @temporalio/envconfig
 * (TLS material and profiles, in Temporal's own names).
 */
export const OTHER_VARIABLES: Record<string, Role[]> = {
  TEMPORAL_CLI_PATH: ['stack'],
  TEMPORAL_TEST_SERVER_PATH: [],
  TEMPORAL_CACHE_DIR: ['stack'],
  TEMPORAL_PROFILE: ['worker', 'api', 'setup'],
  TEMPORAL_CONFIG_FILE: ['worker', 'api', 'setup'],
  // OpenTelemetry's standard variables (src/tracing.ts); the SDK reads the other OTEL_* itself.
  OTEL_EXPORTER_OTLP_ENDPOINT: ['worker', 'api', 'services'],
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: ['worker', 'api', 'services'],
  OTEL_SERVICE_NAME: ['worker', 'api', 'services'],
  OTEL_TRACES_EXPORTER: ['worker', 'api', 'services'],
};

const keysOf = (schema: Section['schema']): string[] => Object.keys(schema.shape);

export function variablesReadBy(role: Role): Set<string> {
  const names = CONFIG_SECTIONS.filter((s) => s.readBy.includes(role)).flatMap((s) => keysOf(s.schema));
  for (const [name, roles] of Object.entries(OTHER_VARIABLES)) if (roles.includes(role)) names.push(name);
  return new Set(names);
}

export function allVariables(): Set<string> {
  return new Set([...CONFIG_SECTIONS.flatMap((s) => keysOf(s.schema)), ...Object.keys(OTHER_VARIABLES)]);
}
