// The typed errors under test, plus a CircuitOpen one (the resilience layer will raise it).
import { DownstreamError } from '../../src/activities/errors';
import { FailureType } from '../../src/workflows/failure-types';

export * from '../../src/activities/errors';

export class CircuitOpenTestError extends DownstreamError {
  constructor() {
    super(FailureType.CircuitOpen, 'breaker open', 'payments');
  }
}
