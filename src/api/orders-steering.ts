/**
 * Steering an order through the workflow's Updates. The caller's identity comes from the
 * bearer token; the workflow's validators decide whether the order can take the change
 * (a refusal is a 409 carrying the workflow's reason).
 *
 *   POST /orders/:id/approval  approver  decide an order waiting for approval
 *   POST /orders/:id/cancel    operator  cancel before dispatch (customer service acts for customers)
 *   POST /orders/:id/retry     operator  retry an order parked in NEEDS_ATTENTION
 */
import type { Express, Request, Response } from 'express';
import { WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import {
  cancelOrderUpdate,
  decideApprovalUpdate,
  type OrderState,
  retryParkedOrderUpdate,
} from '../workflows/definitions';
import { principalOf } from './auth';
import type { RouteContext } from './context';
import { Problem } from './problem';
import { jsonBody, requireJson, validBody } from './request-body';
import { approvalDecisionSchema, cancelRequestSchema, orderIdParam, retryRequestSchema } from './schemas';

export function registerOrderSteering(app: Express, ctx: RouteContext): void {
  const { config, gateway, requireRole, rateLimits } = ctx;
  const body = [rateLimits.steering, requireJson, jsonBody(config.API_BODY_LIMIT_BYTES)];
  const waitMs = config.API_STEERING_WAIT_MS;

  async function steer<Arg>(
    req: Request,
    res: Response,
    update: UpdateDefinition<OrderState, [Arg]>,
    arg: Arg,
  ): Promise<void> {
    const orderId = orderIdParam(req);
    res.locals.orderId = orderId;
    try {
      const outcome = await gateway.steer(orderId, update, arg, waitMs);
      if (outcome.settled) {
        res.json(outcome.result);
        return;
      }
      const location = `/orders/${orderId}`;
      res.status(202).location(location).json({
        orderId,
        accepted: true,
        location,
        detail: 'The order accepted the change and is still settling; read it again shortly.',
      });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // Updates cannot reach a closed workflow; tell "closed" apart from "never existed".
      const existing = await gateway.describeOrder(orderId);
      throw new Problem(
        'order-conflict',
        `The order is closed (${existing.status.name.toLowerCase()}) and can no longer change.`,
      );
    }
  }

  app.post('/orders/:id/approval', requireRole('approver'), ...body, async (req: Request, res: Response) => {
    const { decision, comment } = validBody(approvalDecisionSchema, req.body);
    const { identity } = principalOf(res);
    await steer(req, res, decideApprovalUpdate, { decision, approver: identity, ...(comment ? { comment } : {}) });
  });

  app.post('/orders/:id/cancel', requireRole('operator'), ...body, async (req: Request, res: Response) => {
    const { reason } = validBody(cancelRequestSchema, req.body);
    await steer(req, res, cancelOrderUpdate, { reason, requestedBy: principalOf(res).identity });
  });

  app.post('/orders/:id/retry', requireRole('operator'), ...body, async (req: Request, res: Response) => {
    const { reason } = validBody(retryRequestSchema, req.body);
    await steer(req, res, retryParkedOrderUpdate, {
      operator: principalOf(res).identity,
      ...(reason ? { reason } : {}),
    });
  });
}
