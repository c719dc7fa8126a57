import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, test } from 'node:test';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { PROJECT_ROOT } from '../../src/paths';

const RULE = '@typescript-eslint/no-restricted-imports';
let guard: ESLint;

before(async () => {
  const config = (await import(pathToFileURL(path.join(PROJECT_ROOT, 'eslint.config.mjs')).href)) as {
    workflowDeterminismGuard: Linter.Config;
  };
  // The guard alone (syntax-only parsing) so probe files need not exist in the TS project.
  guard = new ESLint({
    cwd: PROJECT_ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { '@typescript-eslint': tseslint.plugin },
      },
      config.workflowDeterminismGuard,
    ],
  });
});

async function violations(code: string, file = 'src/workflows/probe.ts'): Promise<string[]> {
  const [result] = await guard.lintText(code, { filePath: path.join(PROJECT_ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === RULE).map((m) => m.message);
}

const forbidden: [string, RegExp][] = [
  ["import fs from 'node:fs';", /no Node built-ins/],
  ["import { randomUUID } from 'crypto';", /no Node built-ins/],
  ["import { Context } from '@temporalio/activity';", /@temporalio\/workflow and @temporalio\/common only/],
  ["import { Client } from '@temporalio/client';", /@temporalio\/workflow and @temporalio\/common only/],
  ["import { Worker } from '@temporalio/worker';", /@temporalio\/workflow and @temporalio\/common only/],
  [
    "import { TestWorkflowEnvironment } from '@temporalio/testing';",
    /@temporalio\/workflow and @temporalio\/common only/,
  ],
  ["import { z } from 'zod';", /Keep zod out of the workflow bundle/],
  ["import { createActivities } from '../activities';", /import their types only/],
  ["import { createApp } from '../api/app';", /import their types only/],
];

for (const [code, message] of forbidden) {
  test(`the workflow guard rejects: ${code}`, async () => {
    const found = await violations(code);
    assert.equal(found.length, 1, `expected one violation, got ${JSON.stringify(found)}`);
    assert.match(found[0]!, message);
  });
}

test('type-only imports and workflow-safe packages pass the guard', async () => {
  const code = [
    "import type { DownstreamPorts } from '../activities/ports';",
    "import type { z } from 'zod';",
    "import { proxyActivities } from '@temporalio/workflow';",
    "import { defineSearchAttributeKey } from '@temporalio/common';",
    "import { OrderStatus } from './order-status';",
  ].join('\n');
  assert.deepEqual(await violations(code), []);
});

test('the guard applies to workflow code only', async () => {
  assert.deepEqual(await violations("import fs from 'node:fs';", 'src/activities/probe.ts'), []);
});

test('the project lint configuration enables the guard for src/workflows', async () => {
  const eslint = new ESLint({ cwd: PROJECT_ROOT });
  const config = (await eslint.calculateConfigForFile(
    path.join(PROJECT_ROOT, 'src/workflows/order-fulfillment.ts'),
  )) as Linter.Config;
  const setting = config.rules?.[RULE] as unknown[] | undefined;
  assert.ok(Array.isArray(setting) && (setting[0] === 2 || setting[0] === 'error'), `expected ${RULE} to be an error`);
});
