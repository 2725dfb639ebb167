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
    await em.createQueryBuilder(Message).insert(row).onConflict('idempotency_key').ignore().execute('run');
    // A retry finds the row still `sending` and tries again; `sent` or `skipped` means done.
    const stored = await em.findOneOrFail(Message, { idempotencyKey: key }, { refresh: true });
    if (stored.status !== 'sending') continue;
    const result = await deps.channels.email.send({
      messageId: stored.id,
      centerId: center.id,
      channel: 'email',
      to: address,
      subject: stored.subject,
      text: stored.body ?? '',
      locale: center.locale,
      senders: { emailFromName: center.emailFromName, emailFromAddress: center.emailFromAddress, emailReplyTo: center.emailReplyTo },
    });
    await em.nativeUpdate(Message, { id: stored.id }, { status: 'sent', providerId: result.providerId, sentAt: new Date() });
  }
}
