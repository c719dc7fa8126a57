import type { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType, type SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { ORDER_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

/**
 * Registers the order search attributes in a namespace (idempotent). Self-hosted clusters and
 * the dev server accept this through the operator service; on Temporal Cloud register them
 * once with `tcld` or the Cloud UI instead.
 */
/** The order search attributes in the shape the operator service's AddSearchAttributes takes. */
export function searchAttributeTypes(keys: readonly SearchAttributeKey<SearchAttributeType>[] = ORDER_SEARCH_ATTRIBUTES) {
  return Object.fromEntries(keys.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!]));
}

export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = ORDER_SEARCH_ATTRIBUTES.filter((key) => !(key.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: searchAttributeTypes(missing),
  });
  return missing.map((key) => key.name);
}
