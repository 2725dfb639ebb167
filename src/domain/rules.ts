import { destinationAllowed } from './destinations.js';
import { CHANNELS, type Channel, type ChannelPreference, type RecipientKind, type SkipReason } from './events.js';

/**
 * Who gets a message on which channel (SPEC A1, A2, B1, C1, C2, D1, X1). One decision per
 * channel enabled for the event, sent or skipped with the first reason that applies, so the
 * message summary (E1) can say why nothing went out. A channel disabled for the event (A2)
 * gets no decision at all.
 */

export interface Contacts {
  email: string | null;
  mobile: string | null;
  landline: string | null;
}

export interface ChannelRulesInput {
  recipient: RecipientKind;
  /** A1: the center's master switch. */
  masterEnabled: boolean;
  /** A2: the channels enabled for this event kind. */
  eventChannels: readonly Channel[];
  /** B1: the appointment was booked online by the patient. */
  bookedOnline: boolean;
  /** B1: the event's "only to patients who booked online" option. */
  onlineOnly: boolean;
  /** C2-privacy: the center's "send only if privacy OK" option, and the patient's consent. */
  privacyRequired: boolean;
  privacyConsent: boolean;
  /** C2-pref: the patient's own channel; null = the center's channels. */
  preference: ChannelPreference | null;
  /** C1 and D1: communications for the appointment's resource and service. */
  resourceMemoEnabled: boolean;
  serviceMemoEnabled: boolean;
  contacts: Contacts;
  /** X1: channels the recipient opted out of (SMS STOP, email unsubscribe). */
  optedOut: readonly Channel[];
  /** Countries SMS and voice may go to (platform-set; default the center's country). */
  phoneCountries: readonly string[];
}

export type ChannelDecision =
  | { channel: Channel; send: true; address: string }
  | { channel: Channel; send: false; reason: SkipReason; address: string | null };

function present(value: string | null): string | null {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

/** Email → email; SMS → mobile; voice → landline, else mobile (a spoken call reaches both). */
export function addressFor(channel: Channel, contacts: Contacts): string | null {
  switch (channel) {
    case 'email':
      return present(contacts.email);
    case 'sms':
      return present(contacts.mobile);
    case 'voice':
      return present(contacts.landline) ?? present(contacts.mobile);
  }
}

function skipReason(channel: Channel, address: string | null, input: ChannelRulesInput): SkipReason | null {
  if (!input.masterEnabled) return 'master_off';
  if (input.recipient === 'center') return address === null ? 'no_contact' : null;
  if (!input.resourceMemoEnabled) return 'resource_memo_off';
  if (!input.serviceMemoEnabled) return 'service_memo_off';
  if (input.recipient === 'patient') {
    if (input.onlineOnly && !input.bookedOnline) return 'online_only';
    if (input.privacyRequired && !input.privacyConsent) return 'privacy';
    // A preference narrows the event's channels, it never adds one.
    if (input.preference !== null && input.preference !== channel) return 'preference';
  }
  if (address === null) return 'no_contact';
  if (isPhoneChannel(channel) && !destinationAllowed(address, input.phoneCountries)) return 'destination_country';
  if (input.optedOut.includes(channel)) return 'opted_out';
  return null;
}

/** SMS and voice: the channels a center pays per message and the daily cap counts. */
export const isPhoneChannel = (channel: Channel) => channel !== 'email';

/**
 * The platform's cap on a center's SMS + voice messages per day: a message to send once
 * `sentToday` (this day's phone messages not skipped) reaches it is skipped instead.
 */
export function overDailyCap(channel: Channel, sentToday: number, cap: number): boolean {
  return isPhoneChannel(channel) && sentToday >= cap;
}

/**
 * One decision per enabled channel, in the fixed order email, SMS, voice. The center's admins
 * are written to by email only (B6): other channels produce no decision for them.
 */
export function decideChannels(input: ChannelRulesInput): ChannelDecision[] {
  const enabled = CHANNELS.filter((c) => input.eventChannels.includes(c) && (input.recipient !== 'center' || c === 'email'));
  return enabled.map((channel): ChannelDecision => {
    const address = addressFor(channel, input.contacts);
    const reason = skipReason(channel, address, input);
    if (reason === null && address !== null) return { channel, send: true, address };
    return { channel, send: false, reason: reason ?? 'no_contact', address };
  });
}
