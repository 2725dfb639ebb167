import type { MessageStatus } from '../domain/events.js';

/**
 * Every status change a message can make, as data (E1). The SQL of src/db/message-store.ts
 * guards each update with the sources this table gives, so a change the table does not allow
 * never happens, whoever asks for it.
 *
 *   scheduled → sending    a send attempt claims it (fenced: holder + attempt + lease)
 *   sending   → scheduled  the provider definitely did not take it (refused, an error answer)
 *   sending   → unknown    the attempt stopped after the provider call began
 *   unknown   → sending    resent: not found at Twilio, or an email's one marked resend
 *   unknown   → sent       found at the provider, with its id
 *   *         → skipped    will not go out (master switch, opt-out, plan changed); never once it may have
 */
export const TRANSITIONS: Readonly<Record<MessageStatus, readonly MessageStatus[]>> = {
  scheduled: ['sending', 'skipped', 'failed'],
  sending: ['scheduled', 'unknown', 'sent', 'delivered', 'read', 'failed'],
  unknown: ['sending', 'sent', 'delivered', 'read', 'skipped', 'failed'],
  sent: ['delivered', 'read', 'failed'],
  delivered: ['read'],
  read: [],
  skipped: [],
  failed: [],
};

/** The statuses a message may move to `to` from. */
export function sourcesOf(to: MessageStatus): MessageStatus[] {
  return (Object.keys(TRANSITIONS) as MessageStatus[]).filter((from) => TRANSITIONS[from].includes(to));
}

/** Statuses that mean the message went out. */
export const OUT: ReadonlySet<MessageStatus> = new Set(['sent', 'delivered', 'read']);

/** How far along the way out a status is; a report only ever moves a message further. */
const PROGRESS: Readonly<Record<MessageStatus, number>> = { scheduled: 0, sending: 1, unknown: 1, sent: 2, delivered: 3, read: 4, failed: 5, skipped: 5 };

/**
 * The status a message takes when a provider (or an open) reports `next` while it is `current`,
 * or null when the report must be ignored: providers retry callbacks and do not order them, so
 * a late `sent` never overwrites `delivered` and a duplicate changes nothing; `failed` is
 * reachable only before delivery; `skipped` and `failed` are final.
 */
export function advanceStatus(current: MessageStatus, next: MessageStatus): MessageStatus | null {
  if (!TRANSITIONS[current].includes(next)) return null;
  return next === 'failed' || PROGRESS[next] > PROGRESS[current] ? next : null;
}
