import { ApplicationFailure } from '@temporalio/activity';
import { staleness, type KnownVersions } from '../domain/freshness.js';

/**
 * Refuses to act on rows older than what the workflow was told: a retryable failure, so the
 * activity runs again once the newer rows are visible (it shows as a pending retry in the Web UI).
 */
export function requireFresh(read: { revision: number | null; settingsVersion: number }, known: KnownVersions): void {
  const reason = staleness(read, known);
  if (reason) throw ApplicationFailure.retryable(`Stale read: ${reason}`, 'StaleRead');
}
