import { ApplicationFailure } from '@temporalio/activity';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { OutgoingMessage } from '../channels/types.js';
import type { SenderSettings } from '../db/message-store.js';
import type { Message } from '../db/entities/index.js';
import { loadEventSetting } from '../db/event-settings.js';
import type { ActivityDeps } from '../activities/deps.js';
import { loadSubject } from '../activities/render.js';
import { composeText, linksOf, UNSUBSCRIBABLE } from './compose.js';

/** What the channel gets for one stored message: its text, the center's senders, its links. */
export function outgoing(deps: Pick<ActivityDeps, 'links'>, center: SenderSettings, message: Message): OutgoingMessage {
  const isEmail = message.channel === 'email';
  const unsubscribable = UNSUBSCRIBABLE.has(message.eventKind);
  return {
    messageId: message.id,
    centerId: message.centerId,
    channel: message.channel,
    to: message.recipientAddress ?? '',
    subject: message.subject,
    text: message.body ?? '',
    locale: message.locale,
    senders: {
      emailFromName: center.emailFromName,
      emailFromAddress: center.emailFromAddress,
      emailReplyTo: center.emailReplyTo,
      smsSenderId: center.smsSenderId,
      voiceCallerNumber: center.voiceCallerNumber,
    },
    unsubscribeUrl: isEmail && unsubscribable ? deps.links.unsubscribeUrl(message.id) : null,
    trackingPixelUrl: isEmail && center.readTracking && message.recipientKind !== 'center' ? deps.links.trackingPixelUrl(message.id) : null,
    actionLinks: isEmail && message.asksConfirmation ? { confirmUrl: deps.links.confirmUrl(message.id), cancelUrl: deps.links.cancelUrl(message.id) } : null,
    gatherUrl: message.channel === 'voice' && message.asksConfirmation ? deps.links.gatherUrl(message.id) : null,
    // An SMS that asks for an answer must come from a number that can receive one (B2-confirm).
    expectsReply: message.channel === 'sms' && message.asksConfirmation,
    statusCallbackUrl: isEmail ? null : deps.links.statusCallbackUrl(message.id),
  };
}

/** B7: the text as sent, with the stashed secret; the stored copy stays redacted. */
export async function withSecret(deps: ActivityDeps, em: EntityManager, message: Message): Promise<{ subject: string | null; text: string }> {
  const secret = await deps.secrets.peek(em, message.centerId, message.secretRef!);
  if (!secret) throw ApplicationFailure.nonRetryable('the password or set-up link expired before it could be sent', 'secret_expired');
  const recipient = message.recipientKind === 'resource' ? { resourceId: message.recipientId ?? undefined } : { patientId: message.recipientId ?? undefined };
  const subject = await loadSubject(em, message.centerId, message.appointmentId, recipient);
  const setting = await loadEventSetting(em, message.centerId, message.eventKind);
  const rendered = await composeText(em, {
    eventKind: message.eventKind,
    channel: message.channel,
    locale: message.locale,
    subject,
    options: setting.options,
    links: linksOf(deps.links, message.id),
    secret,
  });
  return { subject: rendered.subject, text: rendered.body };
}
