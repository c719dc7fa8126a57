/**
 * The OpenTelemetry workflow interceptors, as a module for `interceptors.workflowModules`: it is
 * bundled into the workflow sandbox, so it lives outside src/workflows and imports only the
 * package's public entry (whose Node-only parts the bundler stubs out). Listed by
 * `WORKFLOW_TRACING_MODULE` in workers.ts when tracing is on.
 */
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

// RunWorkflow spans continue the starter's trace; StartActivity spans hand it on to activities.
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new OpenTelemetryInboundInterceptor()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
