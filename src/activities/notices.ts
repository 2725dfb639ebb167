import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { noticeText, type NoticeKind } from '../domain/notices.js';
import { Center, Message } from '../db/entities/index.js';
import type { ActivityDeps } from './deps.js';
import { render, renderContext, templateFor } from './render.js';

/**
 * B6: an email to each of the center's admins, at most once per (kind, slot) — e.g. credits
 * exhausted once per day. Sent inline: admin notices are not appointment work and are free.
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
      status: center.communicationsEnabled ? ('sending' as const) : ('skipped' as const),
      skipReason: center.communicationsEnabled ? null : ('master_off' as const),
    });
    if (!(await claim(em, row))) continue; // told already, or another attempt is telling right now
    if (row.status !== 'sending') continue; // A1 off: recorded as skipped
    const result = await deps.channels.email.send({
      messageId: row.id,
      centerId: center.id,
      channel: 'email',
      to: address,
      subject: row.subject,
      text: row.body ?? '',
      locale: center.locale,
      senders: { emailFromName: center.emailFromName, emailFromAddress: center.emailFromAddress, emailReplyTo: center.emailReplyTo },
    });
    await em.nativeUpdate(Message, { id: row.id }, { status: 'sent', providerId: result.providerId, sentAt: new Date() });
  }
}

/**
 * Whoever inserts the notice row sends it; a later attempt may take over a row left `sending`
 * for two minutes (its sender crashed). Concurrent attempts never both send.
 */
async function claim(em: EntityManager, row: Message): Promise<boolean> {
  const inserted = await em.createQueryBuilder(Message).insert(row).onConflict('idempotency_key').ignore().execute('run');
  if (inserted.affectedRows === 1) return true;
  const stale = await em.getConnection().execute<{ id: string }[]>(
    `update messages set updated_at = now() where idempotency_key = ? and status = 'sending'
       and updated_at < now() - interval '2 minutes' returning id`,
    [row.idempotencyKey],
  );
  if (!stale.length) return false;
  row.id = stale[0]!.id;
  return true;
}
