export {
  createActivities,
  stepKey,
  type ActivityDeps,
  type ActivityLogger,
  type Attempted,
  type OrderActivities,
} from './order-activities';
export { DEFAULT_BACKOFF, type BackoffSettings } from './backoff';
