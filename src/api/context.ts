/** What every route module receives from `createApp`. */
import type { OrderPolicy } from '../workflows/order-types';
import type { RequireRole } from './auth';
import type { ApiConfig } from './config';
import type { ApiMetrics } from './metrics';
import type { OrdersGateway } from './orders-gateway';
import type { RateLimits } from './rate-limits';

export interface RouteContext {
  config: ApiConfig;
  gateway: OrdersGateway;
  metrics: ApiMetrics;
  requireRole: RequireRole;
  /** Per-credential limits, applied after authentication. */
  rateLimits: RateLimits;
  /** The policy stamped on orders started by this process. */
  policy: OrderPolicy;
}
