/**
 * Configuration is read from the environment once, at startup, and parsed with zod.
 * A bad value stops the process with a message that names the variable and what it expected.
 * Each process reads only the sections it needs (see `loadConfig`).
 */
import fs from 'node:fs';
import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

/** Parses `env` against an object schema whose keys are environment variable names. */
export function loadConfig<S extends z.ZodObject>(schema: S, env: Env = process.env): z.output<S> {
  // Treat empty strings as unset, the way shells and compose files usually mean them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const variable = issue.path.length > 0 ? issue.path.join('.') : '(configuration)';
      const received = typeof issue.path[0] === 'string' ? cleaned[issue.path[0]] : undefined;
      return `${variable}: ${issue.message}${received === undefined ? '' : ` (got ${JSON.stringify(received)})`}`;
    }),
  );
}

// ---- reusable field types -------------------------------------------------------------

export const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port, e.g. localhost:7233');

export const port = z.coerce
  .number({ error: 'expected a TCP port number' })
  .int('expected a whole number')
  .min(0, 'expected a port between 0 and 65535')
  .max(65535, 'expected a port between 0 and 65535');

export const positiveInt = z.coerce
  .number({ error: 'expected a number' })
  .int('expected a whole number')
  .positive('expected a positive number');

export const durationMs = positiveInt.describe('a duration in milliseconds');

export const boolFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const existingFile = z
  .string()
  .refine((p) => fs.existsSync(p) && fs.statSync(p).isFile(), 'expected the path of an existing file');

export const url = z.url({ error: 'expected an absolute URL, e.g. http://127.0.0.1:4000' });

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  error: 'expected one of fatal, error, warn, info, debug, trace, silent',
});

// ---- sections ----------------------------------------------------------------------------

/**
 * Temporal connection, in Temporal's own variable names (the same ones the `temporal` CLI
 * and `@temporalio/envconfig` read), so one set of variables serves a local dev server,
 * a self-hosted cluster (mTLS) and Temporal Cloud (API key or mTLS).
 */
export const temporalSchema = z
  .object({
    TEMPORAL_ADDRESS: hostPort.default('localhost:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('order-fulfillment'),
    TEMPORAL_API_KEY: z.string().min(1).optional(),
    TEMPORAL_TLS: boolFlag.optional(),
    TEMPORAL_TLS_CLIENT_CERT_PATH: existingFile.optional(),
    TEMPORAL_TLS_CLIENT_KEY_PATH: existingFile.optional(),
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: existingFile.optional(),
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
    TEMPORAL_UI_URL: url.default('http://localhost:8233'),
  })
  .superRefine((v, ctx) => {
    if (Boolean(v.TEMPORAL_TLS_CLIENT_CERT_PATH) !== Boolean(v.TEMPORAL_TLS_CLIENT_KEY_PATH)) {
      ctx.addIssue({
        code: 'custom',
        path: [v.TEMPORAL_TLS_CLIENT_CERT_PATH ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH'],
        message: 'expected TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH to be set together',
      });
    }
  });
export type TemporalConfig = z.output<typeof temporalSchema>;

export const LOG_FORMATS = ['json', 'pretty'] as const;

export const logSchema = z.object({
  LOG_LEVEL: logLevel.default('info'),
  /** Unset: pretty on a terminal, JSON anywhere else (src/logger.ts). */
  LOG_FORMAT: z.enum(LOG_FORMATS, { error: 'expected json or pretty' }).optional(),
});
