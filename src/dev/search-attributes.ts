import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
// Not re-exported from the package root.
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';

/**
 * X6: the custom search attributes set on appointment workflows, so operators can find them in
 * the Temporal Web UI. Values are ids, times and statuses only: search attributes are stored in
 * clear text, so never patient data. Workflow-safe (only `@temporalio/common` at runtime).
 */
export const searchAttributeKeys = {
  CenterId: defineSearchAttributeKey('CenterId', SearchAttributeType.KEYWORD),
  AppointmentId: defineSearchAttributeKey('AppointmentId', SearchAttributeType.KEYWORD),
  PatientId: defineSearchAttributeKey('PatientId', SearchAttributeType.KEYWORD),
  ResourceId: defineSearchAttributeKey('ResourceId', SearchAttributeType.KEYWORD),
  AppointmentStart: defineSearchAttributeKey('AppointmentStart', SearchAttributeType.DATETIME),
  AppointmentStatus: defineSearchAttributeKey('AppointmentStatus', SearchAttributeType.KEYWORD),
  NextMessageAt: defineSearchAttributeKey('NextMessageAt', SearchAttributeType.DATETIME),
} as const;

/** The same list as name + type, e.g. for `@temporalio/testing`'s `server.searchAttributes`. */
export const customSearchAttributes: SearchAttributeKey<SearchAttributeType>[] = Object.values(searchAttributeKeys);

/** `Name=Type` pairs as the Temporal CLI spells them (`--search-attribute CenterId=Keyword`). */
export function searchAttributeCliPairs(): string[] {
  const cliType: Record<SearchAttributeType, string> = {
    TEXT: 'Text',
    KEYWORD: 'Keyword',
    INT: 'Int',
    DOUBLE: 'Double',
    BOOL: 'Bool',
    DATETIME: 'Datetime',
    KEYWORD_LIST: 'KeywordList',
  };
  return customSearchAttributes.map((key) => `${key.name}=${cliType[key.type]}`);
}
