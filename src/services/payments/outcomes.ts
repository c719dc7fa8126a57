/**
 * Deterministic payment outcomes, so demos and tests can trigger each business failure.
 * Decided by the customer id's prefix:
 *   cust-declined…  → 402 payment_declined    (PaymentDeclinedError)
 *   cust-nofunds…   → 402 insufficient_funds  (InsufficientFundsError)
 *   cust-fraud…     → 402 fraud_suspected     (FraudSuspectedError)
 *   anything else   → captured
 */
export type DeclineCode = 'payment_declined' | 'insufficient_funds' | 'fraud_suspected';

export const DECLINING_CUSTOMER_PREFIXES: readonly { prefix: string; code: DeclineCode; message: string }[] = [
  { prefix: 'cust-declined', code: 'payment_declined', message: 'the card issuer declined the payment' },
  { prefix: 'cust-nofunds', code: 'insufficient_funds', message: 'insufficient funds' },
  { prefix: 'cust-fraud', code: 'fraud_suspected', message: 'the payment was blocked as suspected fraud' },
];

export function declineFor(customerId: string): { code: DeclineCode; message: string } | null {
  return DECLINING_CUSTOMER_PREFIXES.find((d) => customerId.startsWith(d.prefix)) ?? null;
}
