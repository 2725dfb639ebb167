import { CHANNELS, EVENT_KINDS, type Channel, type EventKind } from './events.js';

/**
 * X5 / F1: the idempotency key of one message, unique per center in the messages table:
 * `{scope}|{eventKind}|{slot}|{channel}` (+ `|{recipientId}` when an event has several
 * recipients, e.g. a center's admins). Built only from business identity (the workflow id, the
 * appointment revision or due-time marker), never from run or attempt ids, so a retried
 * activity, a replayed or continued-as-new workflow finds the same row instead of sending twice.
 */
export const MESSAGE_KEY_MAX_LENGTH = 300;

export interface MessageKeyInput {
  /** Whose message it is, e.g. the workflow id `appointment:{centerId}:{appointmentId}`. */
  scope: string;
  eventKind: EventKind;
  /** Which occurrence: a revision (`r3`, see `revisionSlot`) or a due-time marker (`dueSlot`). */
  slot: string;
  channel: Channel;
  /** Only when one event goes to several recipients in the same scope. */
  recipientId?: string;
}

const PART = /^[A-Za-z0-9:._@-]+$/;

function part(value: string, field: string): string {
  if (typeof value !== 'string' || !PART.test(value)) {
    throw new RangeError(`${field}: must be non-empty and use only letters, digits and : . _ @ -`);
  }
  return value;
}

export function messageKey(input: MessageKeyInput): string {
  if (!(EVENT_KINDS as readonly string[]).includes(input.eventKind)) throw new RangeError(`eventKind: unknown ${JSON.stringify(input.eventKind)}`);
  if (!(CHANNELS as readonly string[]).includes(input.channel)) throw new RangeError(`channel: unknown ${JSON.stringify(input.channel)}`);
  const parts = [part(input.scope, 'scope'), input.eventKind, part(input.slot, 'slot'), input.channel];
  if (input.recipientId !== undefined) parts.push(part(input.recipientId, 'recipientId'));
  const key = parts.join('|');
  if (key.length > MESSAGE_KEY_MAX_LENGTH) throw new RangeError(`scope: message key longer than ${MESSAGE_KEY_MAX_LENGTH} characters`);
  return key;
}

/** The scope of an appointment's messages: the id of its workflow. */
export function appointmentScope(centerId: string, appointmentId: string): string {
  return `appointment:${part(centerId, 'centerId')}:${part(appointmentId, 'appointmentId')}`;
}

/** Slot of a message tied to an appointment revision (confirmations, reminders re-planned on change). */
export function revisionSlot(revision: number): string {
  if (!Number.isInteger(revision) || revision < 0) throw new RangeError('revision: must be a whole number ≥ 0');
  return `r${revision}`;
}

/** Slot of a message tied to a due time (recalls, alerts), to the minute in UTC: `d20260329T0600Z`. */
export function dueSlot(at: Date): string {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new RangeError('at: not a valid date');
  const iso = at.toISOString(); // 2026-03-29T06:00:00.000Z
  return `d${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
}
