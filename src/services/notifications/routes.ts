/**
 * Notifications service: records what would be sent: an email to the customer, or a page to
 * the on-call approvers (`data.approvers`; the customer's email is ignored for pages).
 *   POST /notifications  {orderId, customerId, email, template, data, channel?: "email"|"page"}
 *                        Idempotency-Key → 201 {notificationId}
 *   POST /alerts         {orderId, customerId, severity, summary, context}  Idempotency-Key → 201 {alertId}
 *                        the worker's SLA alert webhook (SLA_ALERT_WEBHOOK_URL): recorded as a page
 *                        to the on-call, template "sla-alert", the alert as its data
 *   GET  /notifications?orderId=&channel=
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Database, Queryable } from '../db/database';
import { idempotentHandler } from '../http/idempotency';
import { rejection, type Outcome } from '../http/outcome';
import { iso, newId } from '../http/rows';
import { orderId } from '../http/schemas';
import { orderIdFilter } from '../http/validation';
import { OperatorRoutes, type ServiceParts } from '../service-parts';

export const NOTIFICATION_CHANNELS = ['email', 'page'] as const;

const sendBody = z.strictObject({
  orderId,
  customerId: z.string().min(1).max(200),
  /** The customer's address; ignored (may be empty) for pages. */
  email: z.string().max(320),
  template: z.string().min(1).max(100),
  data: z.record(z.string(), z.unknown()),
  channel: z.enum(NOTIFICATION_CHANNELS).default('email'),
});

type SendInput = z.output<typeof sendBody>;

/** A page never goes to the customer: it goes to the approvers named in its data. */
function recipientOf(input: SendInput): string | null {
  if (input.channel === 'email') return input.email.length > 0 ? input.email : null;
  const approvers = Array.isArray(input.data.approvers)
    ? input.data.approvers.filter((a): a is string => typeof a === 'string' && a.length > 0)
    : [];
  return approvers.length > 0 ? approvers.join(', ') : 'on-call';
}

async function send(tx: Queryable, input: SendInput, key: string): Promise<Outcome> {
  const recipient = recipientOf(input);
  if (recipient === null) return rejection(422, 'recipient_missing', 'an email notification needs the customer email');
  const notificationId = newId('ntf');
  await tx.query(
    `INSERT INTO notifications
       (notification_id, notification_key, order_id, customer_id, channel, recipient, template, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
    [
      notificationId,
      key,
      input.orderId,
      input.customerId,
      input.channel,
      recipient,
      input.template,
      JSON.stringify(input.data),
    ],
  );
  return { status: 201, body: { notificationId } };
}

const alertBody = z.strictObject({
  orderId,
  customerId: z.string().min(1).max(200),
  severity: z.enum(['high', 'low']),
  summary: z.string().min(1).max(1000),
  context: z.record(z.string(), z.unknown()),
});

/** An alert is a page to whoever is on call: same ledger, so audits see alerts next to pages. */
async function raiseAlert(tx: Queryable, input: z.output<typeof alertBody>, key: string): Promise<Outcome> {
  const alertId = newId('ntf');
  await tx.query(
    `INSERT INTO notifications
       (notification_id, notification_key, order_id, customer_id, channel, recipient, template, data)
     VALUES ($1, $2, $3, $4, 'page', 'on-call', 'sla-alert', $5::jsonb)`,
    [
      alertId,
      key,
      input.orderId,
      input.customerId,
      JSON.stringify({ severity: input.severity, summary: input.summary, ...input.context }),
    ],
  );
  return { status: 201, body: { alertId } };
}

export function notificationsService(db: Database): ServiceParts {
  const business = Router();
  business.post(
    '/notifications',
    idempotentHandler({ db, scope: 'notifications.send', schema: sendBody, effect: send }),
  );
  business.post(
    '/alerts',
    idempotentHandler({ db, scope: 'notifications.alert', schema: alertBody, effect: raiseAlert }),
  );

  const operator = new OperatorRoutes();
  operator.get('/notifications', async (req, res) => {
    const channel = typeof req.query.channel === 'string' ? req.query.channel : null;
    const rows = await db.query(
      `SELECT notification_id, notification_key, order_id, customer_id, channel, recipient, template, data, created_at
       FROM notifications
       WHERE ($1::text IS NULL OR order_id = $1) AND ($2::text IS NULL OR channel = $2)
       ORDER BY created_at, notification_id`,
      [orderIdFilter(req), channel],
    );
    res.json({
      notifications: rows.map((r) => ({
        notificationId: r.notification_id,
        notificationKey: r.notification_key,
        orderId: r.order_id,
        customerId: r.customer_id,
        channel: r.channel,
        recipient: r.recipient,
        template: r.template,
        data: r.data,
        createdAt: iso(r.created_at),
      })),
    });
  });
  return { business, operator };
}
