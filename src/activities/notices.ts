import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { noticeText, type NoticeKind } from '../domain/notices.js';
import { Center, Message } from '../db/entities/index.js';
import type { ActivityDeps } from './deps.js';
import { render, renderContext, templateFor } from './render.js';
import { sendMessage } from '../messages/send.js';

/**
 * B6: an email to each of the center's admins, at most once per (kind, slot) — e.g. credits
 * exhausted once per day. Sent inline through the message's owner (src/messages/send.ts): admin
 * notices are not appointment work and are free.
 */
export async function notifyCenter(deps: ActivityDeps, em: EntityManager, input: { centerId: string; kind: NoticeKind; slot: string; detail?: string }): Promise<void> {
  const center = await em.findOneOrFail(Center, { id: input.centerId });
  const ctx = renderContext({ center, appointment: null, patient: null, resource: null, service: null, location: null }, {
    notice: noticeText(input.kind, center.locale, input.detail),
  });
  const template = await templateFor(em, { centerId: center.id, eventKind: 'center.notice', channel: 'email', locale: center.locale });
  const options = { locale: center.locale, timeZone: center.timeZone };
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
      subject: template.subject && render(template.subject, ctx, options),
      body: render(template.body, ctx, options),
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
  const inserted = await em.createQueryBuilder(Message).insert(row).onConflict('idempotency_key').ignore().execute('run');
  if (inserted.affectedRows === 1) return row.id;
  const existing = await em.findOne(Message, { idempotencyKey: row.idempotencyKey }, { refresh: true });
  if (!existing) return null;
  const stale = existing.status === 'sending' && (existing.leaseUntil?.getTime() ?? 0) < Date.now();
  return existing.status === 'scheduled' || existing.status === 'unknown' || stale ? existing.id : null;
}
