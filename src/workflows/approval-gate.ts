/**
 * The human-in-the-loop gate: who must wait (`approvalReasons`), and the wait itself, with one
 * page after `approvalEscalateAfter` and an automatic rejection after `approvalAutoRejectAfter`
 * (both measured from the request, in workflow time).
 */
import { ApplicationFailure, condition } from '@temporalio/workflow';
import type { ApprovalDecision, OrderState } from './definitions';
import { FailureType } from './failures';
import { now, type OrderRecorder } from './order-recorder';
import { OrderStatus } from './order-status';
import { durationMs, formatMoney, type FraudAssessment, type OrderInput } from './order-types';

/** Why this order needs a human; empty when it does not. */
export function approvalReasons(input: OrderInput, fraud: FraudAssessment): string[] {
  const { approvalThreshold, fraudReviewBand } = input.policy;
  const reasons: string[] = [];
  if (input.total > approvalThreshold)
    reasons.push(
      // In the order's currency, as people read it (the policy's threshold is in its minor units too).
      `total ${formatMoney(input.total, input.currency)} is above the approval threshold ` +
        formatMoney(approvalThreshold, input.currency),
    );
  const { low, high } = fraudReviewBand;
  if (fraud.score >= low && fraud.score < high) {
    reasons.push(
      `fraud score ${fraud.score} (${fraud.scorer}) is in the review band [${low}, ${high})`,
      ...fraud.reasons,
    );
  }
  return reasons;
}

export class ApprovalGate {
  constructor(
    private readonly order: OrderRecorder,
    /** Pages the approvers with the full context; its failure must not affect the gate. */
    private readonly page: (context: Record<string, unknown>) => Promise<void>,
  ) {}

  private get request() {
    return this.order.state.approval;
  }

  /** Update validator: a decision only while awaiting one, only from a listed approver. */
  readonly validate = (d: ApprovalDecision): void => {
    const { status, order } = this.order.state;
    if (status !== OrderStatus.AWAITING_APPROVAL || this.request?.decision) {
      throw new Error(`order ${order.orderId} is not awaiting approval (status ${status})`);
    }
    if (d?.decision !== 'approve' && d?.decision !== 'reject')
      throw new Error('decision must be "approve" or "reject"');
    if (!order.policy.approvers.includes(d.approver))
      throw new Error(`${String(d.approver)} is not an approver of order ${order.orderId}`);
  };

  /** Update handler: records the decision and returns once the order has moved on (see decideApprovalUpdate). */
  readonly decide = async (d: ApprovalDecision): Promise<OrderState> => {
    const request = this.request;
    if (!request) throw new Error('no approval request');
    request.decision = {
      decision: d.decision,
      approver: d.approver,
      at: now(),
      ...(d.comment ? { comment: d.comment } : {}),
    };
    const stillMoving: OrderStatus[] =
      d.decision === 'approve'
        ? [OrderStatus.AWAITING_APPROVAL]
        : [OrderStatus.AWAITING_APPROVAL, OrderStatus.COMPENSATING];
    await condition(() => !stillMoving.includes(this.order.status));
    return this.order.state;
  };

  /** Waits in AWAITING_APPROVAL; returns on approval, throws an ApprovalRejected failure otherwise. */
  async await(reasons: string[], fraud: FraudAssessment): Promise<void> {
    const { policy } = this.order.state.order;
    const requestedAtMs = Date.now();
    this.order.state.approval = { requestedAt: now(), reasons, fraud };
    this.order.transition(OrderStatus.AWAITING_APPROVAL, `approval required: ${reasons.join('; ')}`);
    this.order.setCurrentStep('awaitApproval');

    const decided = () => Boolean(this.request?.decision);
    const escalate = { summary: `Approval: page the approvers if undecided after ${policy.approvalEscalateAfter}` };
    if (!(await condition(decided, policy.approvalEscalateAfter, escalate))) {
      this.request!.escalatedAt = now();
      await this.page({
        order: this.order.state.order,
        reasons,
        fraud,
        requestedAt: this.request!.requestedAt,
        waitingFor: policy.approvalEscalateAfter,
      });
      const remainingMs = durationMs(policy.approvalAutoRejectAfter) - (Date.now() - requestedAtMs);
      const autoReject = {
        summary: `Approval: reject automatically if undecided ${policy.approvalAutoRejectAfter} after the request`,
      };
      if (!(remainingMs > 0 && (await condition(decided, remainingMs, autoReject)))) {
        this.request!.decision = {
          decision: 'reject',
          approver: 'system',
          at: now(),
          automatic: true,
          comment: `no decision within ${policy.approvalAutoRejectAfter}`,
        };
      }
    }
    this.order.setCurrentStep(null);
    const decision = this.request!.decision!;
    if (decision.decision === 'approve') {
      this.order.transition(
        OrderStatus.INVENTORY_LOCKED,
        `approved by ${decision.approver}${decision.comment ? `: ${decision.comment}` : ''}`,
      );
      return;
    }
    const why = decision.automatic
      ? `auto-rejected: ${decision.comment}`
      : `rejected by ${decision.approver}${decision.comment ? `: ${decision.comment}` : ''}`;
    throw this.order.fail('awaitApproval', ApplicationFailure.nonRetryable(why, FailureType.ApprovalRejected));
  }
}
