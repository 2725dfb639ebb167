import type { MessageStatus } from './events.js';

/**
 * Provider delivery statuses mapped to ours (E1), and the rule that a message's status only
 * moves forward. Providers retry callbacks and do not order them, so a late `sent` must never
 * overwrite `delivered`, and a duplicate must change nothing.
 */

/** The statuses a provider callback can move a message to. */
export type DeliveryUpdate = Extract<MessageStatus, 'sent' | 'delivered' | 'read' | 'failed'>;

const TWILIO_MESSAGE_STATUSES = new Map<string, DeliveryUpdate | null>(Object.entries({
  // Still on Twilio's side: nothing a clinic needs to see.
  queued: null,
  accepted: null,
  scheduled: null,
  sending: null,
  sent: 'sent',
  delivered: 'delivered',
  // Group MMS: at least one recipient got it.
  partially_delivered: 'delivered',
  read: 'read',
  undelivered: 'failed',
  failed: 'failed',
  canceled: 'failed',
} satisfies Record<string, DeliveryUpdate | null>));

const TWILIO_CALL_STATUSES = new Map<string, DeliveryUpdate | null>(Object.entries({
  queued: null,
  initiated: null,
  ringing: null,
  'in-progress': null,
  // The call was answered and ran to its end: the message was heard.
  completed: 'delivered',
  busy: 'failed',
  'no-answer': 'failed',
  failed: 'failed',
  canceled: 'failed',
} satisfies Record<string, DeliveryUpdate | null>));

/** Twilio `MessageStatus` → our status; null = no change (still in transit, or unknown). */
export function mapTwilioMessageStatus(status: string): DeliveryUpdate | null {
  return TWILIO_MESSAGE_STATUSES.get(status.trim().toLowerCase()) ?? null;
}

/** Twilio `CallStatus` → our status; null = no change. */
export function mapTwilioCallStatus(status: string): DeliveryUpdate | null {
  return TWILIO_CALL_STATUSES.get(status.trim().toLowerCase()) ?? null;
}

/** The rule that a status only moves forward lives with the message's other transitions. */
export { advanceStatus } from '../messages/transitions.js';
