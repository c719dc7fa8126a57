import type { Connection } from '@temporalio/client';
import { SearchAttributeType, type defineSearchAttributeKey } from '@temporalio/common';
import { ORDER_SEARCH_ATTRIBUTES } from '../workflows/definitions';

/** `temporal.api.enums.v1.IndexedValueType`, the number the operator service takes for each type. */
const INDEXED_VALUE_TYPE: Record<SearchAttributeType, number> = {
  [SearchAttributeType.TEXT]: 1,
  [SearchAttributeType.KEYWORD]: 2,
  [SearchAttributeType.INT]: 3,
  [SearchAttributeType.DOUBLE]: 4,
  [SearchAttributeType.BOOL]: 5,
  [SearchAttributeType.DATETIME]: 6,
  [SearchAttributeType.KEYWORD_LIST]: 7,
};

/** The order search attributes in the shape the operator service's AddSearchAttributes takes. */
type SearchAttributeKey = ReturnType<typeof defineSearchAttributeKey>;

export function searchAttributeTypes(keys: readonly SearchAttributeKey[] = ORDER_SEARCH_ATTRIBUTES) {
  return Object.fromEntries(keys.map((key) => [key.name, INDEXED_VALUE_TYPE[key.type]]));
}

/**
 * Registers the order search attributes in a namespace (idempotent). Self-hosted clusters and
 * the dev server accept this through the operator service; on Temporal Cloud register them
 * once with `tcld` or the Cloud UI instead.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = ORDER_SEARCH_ATTRIBUTES.filter((key) => !(key.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: searchAttributeTypes(missing) });
  return missing.map((key) => key.name);
}
