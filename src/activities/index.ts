export { createActivities, stepKey, type ActivityDeps, type ActivityLogger, type Attempted, type OrderActivities, type SlaAlertRequest } from './order-activities';
export { createWebhookAlerts, type AlertsPort, type OrderAlert } from './alerts';
export { DEFAULT_BACKOFF, type BackoffSettings } from './backoff';
