/** NotificationsPort over HTTP, against the notifications reference service (or your own, same API). */
import { z } from 'zod';
import type { NotificationsPort } from '../ports';
import { callDownstream, type DownstreamEndpoint } from './http';

const sent = z.object({ notificationId: z.string().min(1) });

export function createNotificationsClient(options: { baseUrl: string; timeoutMs: number }): NotificationsPort {
  const endpoint: DownstreamEndpoint = { downstream: 'notifications', ...options };
  return {
    async send(req, opts) {
      const body = {
        orderId: req.orderId,
        customerId: req.customerId,
        email: req.email,
        template: req.template,
        data: req.data,
        channel: req.channel ?? 'email',
      };
      const result = await callDownstream(endpoint, {
        method: 'POST',
        path: '/notifications',
        body,
        ...opts,
        response: sent,
      });
      return { notificationId: result.notificationId };
    },
  };
}
