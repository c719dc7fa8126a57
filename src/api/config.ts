/**
 * The API's configuration: where it listens, how it authenticates callers (signing secrets
 * for order intake, bearer tokens for people) and the order policy it stamps on every new
 * order. Parsed from the environment by `loadConfig(apiSchema)`.
 */
import { z } from 'zod';
import { durationMs, port, positiveInt, temporalSchema } from '../config';
import {
  DEFAULT_INVENTORY_LOCKED_SLA,
  DEFAULT_ORDER_POLICY,
  POLICY_DURATION,
  type OrderPolicy,
} from '../workflows/order-types';

export const ROLES = ['approver', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as established by a bearer token. */
export interface Principal {
  role: Role;
  identity: string;
}

/**
 * Well-known credentials so `npm start` works on a fresh checkout (the same ones the compose
 * file uses). The server logs a warning while they are in use; set your own anywhere else.
 */
export const DEV_SIGNING_SECRET = 'local-dev-signing-secret';
export const DEV_TOKENS = 'local-approver-token:approver:alice,local-operator-token:operator:ops';
export const DEV_CURSOR_SECRET = 'local-dev-cursor-secret-do-not-use-in-production';

const identity = z
  .string()
  .regex(/^[A-Za-z0-9._@-]{1,64}$/, 'expected an identity of 1-64 letters, digits, ".", "_", "@" or "-"');

const commaList = (s: string) =>
  s
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

const signingSecrets = z
  .string()
  .transform(commaList)
  .pipe(
    z
      .array(z.string().min(16, 'expected each signing secret to be at least 16 characters'))
      .min(1, 'expected at least one signing secret'),
  );

const tokenEntry = z
  .string()
  .transform((entry) => entry.split(':'))
  .pipe(
    z.tuple(
      [
        z.string().min(16, 'expected each token to be at least 16 characters'),
        z.enum(ROLES, { error: `expected a role: ${ROLES.join(', ')}` }),
        identity,
      ],
      {
        error: 'expected entries of the form token:role:identity',
      },
    ),
  )
  .transform(([token, role, who]) => ({ token, role, identity: who }));

const apiTokens = z
  .string()
  .transform(commaList)
  .pipe(z.array(tokenEntry).min(1, 'expected at least one token:role:identity entry'))
  .refine(
    (entries) => new Set(entries.map((e) => e.token)).size === entries.length,
    'expected every token to be distinct',
  );

const nonNegativeInt = z.coerce.number({ error: 'expected a whole number' }).int().min(0).max(1_000_000_000);

const fraction = z.coerce.number({ error: 'expected a number between 0 and 1' }).min(0).max(1);

/** Temporal duration strings as the workflow's timers accept them, e.g. "90m", "24h", "3d". */
const duration = z.string().regex(POLICY_DURATION, 'expected a duration such as 30m, 24h or 3d');

export const apiSchema = z
  .object({
    API_HOST: z.string().min(1).default('127.0.0.1'),
    API_PORT: port.default(3000),
    /** Largest accepted request body; bigger bodies get 413. */
    API_BODY_LIMIT_BYTES: positiveInt.max(10 * 1024 * 1024).default(64 * 1024),
    /** Comma-separated HMAC secrets; the first signs (client script), any verifies (rotation). */
    API_SIGNING_SECRETS: signingSecrets.default([DEV_SIGNING_SECRET]),
    API_SIGNATURE_TOLERANCE_SECONDS: positiveInt.max(3600).default(300),
    /** Comma-separated `token:role:identity` entries. */
    API_TOKENS: apiTokens.default(() => apiTokens.parse(DEV_TOKENS)),
    /**
     * Key of the MAC on `GET /orders` cursors (visibility-query.ts). A variable of its own, known to
     * the API alone: the signing secrets are shared with every order sender and the tokens are
     * handed to people, so a key derived from either could be used by them to mint cursors, and
     * would tie rotating a client credential to the cursors. One value, no rotation list: changing
     * it only sends clients in the middle of a listing back to its first page (400 on the cursor).
     * Every replica behind a load balancer needs the same value.
     */
    API_CURSOR_SECRET: z.string().min(32, 'expected at least 32 characters').default(DEV_CURSOR_SECRET),
    /**
     * Requests per minute per credential (rate-limits.ts), 0 = no limit: intake counts by signing
     * secret, steering (approve, cancel, retry, drain) and reads by token identity. Counted per API
     * process, so a fleet of N replicas lets through up to N times as many.
     */
    API_INTAKE_RATE_PER_MINUTE: nonNegativeInt.default(600),
    API_STEERING_RATE_PER_MINUTE: nonNegativeInt.default(120),
    API_READ_RATE_PER_MINUTE: nonNegativeInt.default(1200),
    /** When set, `GET /metrics` needs `Authorization: Bearer <this>` (a scraper's credential, not a person's). */
    API_METRICS_TOKEN: z.string().min(16, 'expected at least 16 characters').optional(),
    /** Deadline for one call to Temporal; a call that misses it answers 503. */
    API_TEMPORAL_TIMEOUT_MS: durationMs.default(10_000),
    /** How long approval/cancel/retry wait for the order to settle before answering 202. */
    API_STEERING_WAIT_MS: durationMs.default(20_000),
    /** Deadline for the readiness probe's call to Temporal. */
    API_READINESS_TIMEOUT_MS: durationMs.default(2_000),
    TEMPORAL_TASK_QUEUE: temporalSchema.shape.TEMPORAL_TASK_QUEUE,
    ORDER_APPROVAL_THRESHOLD: z.coerce.number().int().min(0).default(DEFAULT_ORDER_POLICY.approvalThreshold),
    ORDER_FRAUD_REVIEW_LOW: fraction.default(DEFAULT_ORDER_POLICY.fraudReviewBand.low),
    ORDER_FRAUD_REVIEW_HIGH: fraction.default(DEFAULT_ORDER_POLICY.fraudReviewBand.high),
    /** Comma-separated identities allowed to decide approvals; unset = every approver token's identity. */
    ORDER_APPROVERS: z.string().transform(commaList).pipe(z.array(identity)).optional(),
    ORDER_APPROVAL_ESCALATE_AFTER: duration.default(DEFAULT_ORDER_POLICY.approvalEscalateAfter),
    ORDER_APPROVAL_AUTO_REJECT_AFTER: duration.default(DEFAULT_ORDER_POLICY.approvalAutoRejectAfter),
    /** An order still INVENTORY_LOCKED this long raises one high-priority alert (the SLA watchdog). */
    ORDER_INVENTORY_LOCKED_SLA: duration.default(DEFAULT_INVENTORY_LOCKED_SLA),
  })
  .superRefine((v, ctx) => {
    if (v.ORDER_FRAUD_REVIEW_LOW >= v.ORDER_FRAUD_REVIEW_HIGH) {
      ctx.addIssue({
        code: 'custom',
        path: ['ORDER_FRAUD_REVIEW_HIGH'],
        message: 'expected ORDER_FRAUD_REVIEW_HIGH to be above ORDER_FRAUD_REVIEW_LOW',
      });
    }
  });
export type ApiConfig = z.output<typeof apiSchema>;

/** The policy every order started now carries for its whole life. */
export function orderPolicy(config: ApiConfig): OrderPolicy {
  return {
    approvalThreshold: config.ORDER_APPROVAL_THRESHOLD,
    fraudReviewBand: { low: config.ORDER_FRAUD_REVIEW_LOW, high: config.ORDER_FRAUD_REVIEW_HIGH },
    approvers: config.ORDER_APPROVERS ?? [
      ...new Set(config.API_TOKENS.filter((t) => t.role === 'approver').map((t) => t.identity)),
    ],
    approvalEscalateAfter: config.ORDER_APPROVAL_ESCALATE_AFTER,
    approvalAutoRejectAfter: config.ORDER_APPROVAL_AUTO_REJECT_AFTER,
    inventoryLockedSla: config.ORDER_INVENTORY_LOCKED_SLA,
  };
}

/** The variables still holding the well-known development credentials (empty in a real deployment). */
export function devCredentials(config: ApiConfig): string[] {
  const devTokens = new Set(commaList(DEV_TOKENS).map((entry) => entry.split(':')[0]));
  const inUse: string[] = [];
  if (config.API_SIGNING_SECRETS.includes(DEV_SIGNING_SECRET)) inUse.push('API_SIGNING_SECRETS');
  if (config.API_TOKENS.some((t) => devTokens.has(t.token))) inUse.push('API_TOKENS');
  if (config.API_CURSOR_SECRET === DEV_CURSOR_SECRET) inUse.push('API_CURSOR_SECRET');
  return inUse;
}

/** True while any of the well-known development credentials is configured. */
export function usesDevCredentials(config: ApiConfig): boolean {
  return devCredentials(config).length > 0;
}
