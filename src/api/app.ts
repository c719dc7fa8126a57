import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';

export interface ApiDeps {
  client: Client;
}

export function createApp(_deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  return app;
}
