import { DriverException } from '@mikro-orm/core';

/**
 * Last resort behind the request schemas: PostgreSQL's "data exception" errors (SQLSTATE class
 * 22) mean the input did not fit a column, so the client gets a 422, not a 500. The error text
 * quotes values (patient data) and is never shown or logged; only its code is.
 */
const BAD_DATA: Record<string, string> = {
  '22001': 'A text is longer than its field allows.',
  '22003': 'A number is larger than its field allows.',
  '22007': 'A date or time is not valid.',
  '22008': 'A date or time is out of range.',
  '22021': 'A text contains a character that cannot be stored.',
  '22P05': 'A text contains a character that cannot be stored.',
};

export function badDataDetail(error: Error): { code: string; detail: string } | null {
  if (!(error instanceof DriverException) || typeof error.code !== 'string') return null;
  const detail = BAD_DATA[error.code];
  return detail ? { code: error.code, detail } : null;
}
