/**
 * Connections to Temporal built from the validated configuration, using Temporal's
 * environment-config conventions (API key, mTLS, TOML profiles) via @temporalio/envconfig.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import type { TemporalConfig } from '../config';

/** gRPC status codes (grpc.io/docs/guides/status-codes) the app tells apart in Temporal's answers. */
export const GRPC_CANCELLED = 1;
export const GRPC_INVALID_ARGUMENT = 3;
export const GRPC_DEADLINE_EXCEEDED = 4;
export const GRPC_NOT_FOUND = 5;
export const GRPC_ALREADY_EXISTS = 6;
export const GRPC_RESOURCE_EXHAUSTED = 8;
export const GRPC_UNAVAILABLE = 14;

function connectConfig(config: TemporalConfig) {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  // Defaults applied by our schema win over "unset"; explicit values are the same either way.
  env.TEMPORAL_ADDRESS = config.TEMPORAL_ADDRESS;
  env.TEMPORAL_NAMESPACE = config.TEMPORAL_NAMESPACE;
  return loadClientConnectConfig({ overrideEnvVars: env });
}

export async function connectClient(config: TemporalConfig): Promise<Client> {
  const connection = await connect(config);
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}

/** The raw gRPC connection, for the operator and workflow services. */
export function connect(config: TemporalConfig): Promise<Connection> {
  const { connectionOptions } = connectConfig(config);
  return Connection.connect({ ...connectionOptions, connectTimeout: '5s' });
}

export async function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  const { connectionOptions } = connectConfig(config);
  return NativeConnection.connect(connectionOptions);
}
