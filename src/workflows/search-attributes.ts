/**
 * Custom search attributes of an order, defined once and shared by the workflow (which
 * upserts them), the client and API (which list by them) and the dev stack (which registers
 * them). Workflow-safe: `@temporalio/common` only.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
/** Order total in minor units (e.g. cents). */
export const OrderTotalKey = defineSearchAttributeKey('OrderTotal', SearchAttributeType.INT);
export const OrderCurrencyKey = defineSearchAttributeKey('OrderCurrency', SearchAttributeType.KEYWORD);

export const ORDER_SEARCH_ATTRIBUTES = [OrderStatusKey, CustomerIdKey, OrderTotalKey, OrderCurrencyKey] as const;
