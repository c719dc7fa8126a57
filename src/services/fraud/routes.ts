/**
 * Fraud scoring service (scorers and magic values: see ./scoring). Scoring has no effect,
 * so it keeps no ledger; an Idempotency-Key header is accepted and not required.
 *   POST /score/model  {orderId, customerId, email, total, currency, country, itemCount}
 *                      → 200 {score, reasons, scorer: "model"}
 *   POST /score/rules  (same body)
 *                      → 200 {score, reasons, scorer: "rules"}
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Router } from 'express';
import { z } from 'zod';
import { amount, country, currency, orderId } from '../http/schemas';
import { parseInput } from '../http/validation';
import { OperatorRoutes, type ServiceParts } from '../service-parts';
import { SLOW_MODEL_EMAIL_DOMAIN, emailDomain, scoreWithModel, scoreWithRules } from './scoring';

const scoreBody = z.strictObject({
  orderId,
  customerId: z.string().min(1).max(200),
  email: z.string().min(3).max(320).includes('@'),
  total: amount,
  currency,
  country,
  itemCount: z.int().positive().max(1_000_000),
});

export function fraudService(options: { modelSlowMs: number }): ServiceParts {
  const business = Router();
  business.post('/score/model', async (req, res) => {
    const input = parseInput(scoreBody, req.body);
    if (emailDomain(input.email) === SLOW_MODEL_EMAIL_DOMAIN) await sleep(options.modelSlowMs);
    res.json(scoreWithModel(input));
  });
  business.post('/score/rules', (req, res) => void res.json(scoreWithRules(parseInput(scoreBody, req.body))));
  return { business, operator: new OperatorRoutes() };
}
