import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { noticeText, type NoticeKind } from '../domain/notices.js';
import { Center, Message } from '../db/entities/index.js';
import { insertMessages } from '../db/message-store.js';
import type { ActivityDeps } from './deps.js';
import { composeText, type MessageLinks } from '../messages/compose.js';
import { sendMessage } from '../messages/send.js';

/** A notice asks nothing and cannot be unsubscribed from: its text has no links. */
const NO_LINKS: MessageLinks = {
  confirmUrl: () => {
    throw new Error('a center notice has no confirm link');
  },
  cancelUrl: () => {
    throw new Error('a center notice has no cancel link');
  },
  unsubscribeUrl: () => {
    throw new Error('a center notice has no unsubscribe link');
  },
};

/**
 * B6: an email to each of the center's admins, at most once per (kind, slot) — e.g. credits
 * exhausted once per day. Sent inline through the message's owner (src/messages/send.ts): admin
 * notices are not appointment work and are free.
 */
export async function notifyCenter(deps: ActivityDeps, em: EntityManager, input: { centerId: string; kind: NoticeKind; slot: string; detail?: string }): Promise<void> {
  const center = await em.findOneOrFail(Center, { id: input.centerId });
  const text = await composeText(em, {
    eventKind: 'center.notice',
    channel: 'email',
    locale: center.locale,
    subject: { center, appointment: null, patient: null, resource: null, service: null, location: null },
    options: {},
    links: NO_LINKS,
    notice: noticeText(input.kind, center.locale, input.detail),
  });
  for (const [index, address] of center.adminEmails.entries()) {
    const key = `center:${center.id}|center.notice|${input.kind}:${input.slot}|email|a${index}`;
    const row = Object.assign(new Message(), {
      id: randomUUID(),
      centerId: center.id,
      idempotencyKey: key,
      eventKind: 'center.notice' as const,
      channel: 'email' as const,
      recipientKind: 'center' as const,
      recipientAddress: address,
      locale: center.locale,
      subject: text.subject,
      body: text.body,
      dueAt: new Date(),
    });
    const id = await insertOrFind(em, row);
    // The message's owner sends it (A1 checked there): once, whoever else tries at the same time.
    if (id) await sendMessage(deps, id, { token: { holder: `notice:${randomUUID()}`, attempt: 1 } });
  }
}

/**
 * The notice's row, new or left behind by an attempt that died before it was sent (its id), or
 * null when it went out already or a live attempt is sending it right now.
 */
async function insertOrFind(em: EntityManager, row: Message): Promise<string | null> {
  const [existing] = await insertMessages(em, [row]);
  if (!existing) return null;
  if (existing.id === row.id) return row.id;
  const stale = existing.status === 'sending' && (existing.leaseUntil?.getTime() ?? 0) < Date.now();
  return existing.status === 'scheduled' || existing.status === 'unknown' || stale ? existing.id : null;
}
