/**
 * Temporal's client errors translated into problem details. Only domain reasons (an update
 * validator's message) reach the caller; connection and server messages stay in the logs.
 */
import {
  isGrpcServiceError,
  ServiceError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import {
  GRPC_CANCELLED,
  GRPC_DEADLINE_EXCEEDED,
  GRPC_RESOURCE_EXHAUSTED,
  GRPC_UNAVAILABLE,
} from '../temporal/connection';
import { Problem } from './problem';

/** Seconds a client should wait before retrying when Temporal is out of reach. */
export const RETRY_AFTER_SECONDS = 5;

/** gRPC status codes that mean "try again later". */
const UNAVAILABLE_CODES = new Set([GRPC_CANCELLED, GRPC_DEADLINE_EXCEEDED, GRPC_RESOURCE_EXHAUSTED, GRPC_UNAVAILABLE]);

export function unavailable(detail = 'Temporal could not be reached in time. Retry shortly.'): Problem {
  return new Problem('temporal-unavailable', detail, { headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } });
}

/** The gRPC status code behind a client error, if there is one. */
export function grpcCode(err: unknown): number | undefined {
  if (isGrpcServiceError(err)) return err.code;
  if (err instanceof Error && isGrpcServiceError(err.cause)) return err.cause.code;
  return undefined;
}

/** True when the error means "Temporal is out of reach or too slow", i.e. worth a retry later. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  const code = grpcCode(err);
  if (code !== undefined) return UNAVAILABLE_CODES.has(code);
  // A ServiceError without a gRPC status: the connection itself failed (e.g. it was closed).
  return err instanceof ServiceError;
}

/** The problem for a Temporal client error, or null when the error is not Temporal's. */
export function temporalProblem(err: unknown): Problem | null {
  if (err instanceof WorkflowNotFoundError) return new Problem('order-not-found', 'No order with this id.');
  if (err instanceof WorkflowUpdateFailedError) {
    // Validator rejections and handler failures carry the workflow's reason, written for callers.
    const reason = err.cause instanceof ApplicationFailure ? err.cause.message : 'The order refused this change.';
    return new Problem('order-conflict', reason);
  }
  if (isUnavailable(err)) return unavailable();
  return null;
}
