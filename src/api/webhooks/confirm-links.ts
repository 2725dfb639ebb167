import { enqueueCommands } from '../../db/outbox.js';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Hono, type Context } from 'hono';
import { Appointment, Center, Message, Patient } from '../../db/entities/index.js';
import type { AppointmentStatus, Locale } from '../../domain/events.js';
import type { PatientAnswer } from '../../engine/port.js';
import { hashToken, parseLinkSegment, type Links } from '../../links.js';
import type { ResolvedWebhookDeps } from './deps.js';
import { pageResponse, type Page } from './pages.js';
import { appointmentWhen, fill, localeOf, PAGE_TEXTS } from './texts.js';

/**
 * B2-confirm by email link. A GET only shows the question (mail scanners open links); the
 * button POSTs to the same URL, which acts once per message: `confirm_tokens` keeps the first
 * answer (unique token hash, used_at, outcome) and every later visit of either link shows it.
 * A link stops working when the appointment starts.
 */

export type Outcome = 'confirmed' | 'cancelled';

export type LinkState = { kind: 'open' } | { kind: 'used'; outcome: Outcome } | { kind: 'expired' } | { kind: 'cancelled' };

/** What a visit of the link may do now (pure). The first answer wins over everything else. */
export function linkState(input: { usedOutcome: Outcome | null; appointmentStatus: AppointmentStatus; startAt: Date; now: Date }): LinkState {
  if (input.usedOutcome) return { kind: 'used', outcome: input.usedOutcome };
  if (input.appointmentStatus === 'cancelled') return { kind: 'cancelled' };
  if (input.startAt.getTime() <= input.now.getTime()) return { kind: 'expired' };
  return { kind: 'open' };
}

export const outcomeOf = (answer: PatientAnswer): Outcome => (answer === 'confirm' ? 'confirmed' : 'cancelled');

interface LinkContext {
  token: string;
  message: Message;
  appointment: Appointment;
  center: Center;
  firstName: string;
}

/** The message behind a signed link, or null for a bad token or a link without an appointment. */
async function loadLinkContext(em: EntityManager, links: Links, segment: string, action: PatientAnswer): Promise<LinkContext | null> {
  const parsed = parseLinkSegment(segment);
  if (!parsed || segment.endsWith('.gif') || !links.verify(parsed.messageId, action, parsed.token)) return null;
  const message = await em.findOne(Message, { id: parsed.messageId });
  if (!message?.appointmentId) return null;
  const appointment = await em.findOne(Appointment, { id: message.appointmentId, centerId: message.centerId });
  if (!appointment) return null;
  const center = await em.findOneOrFail(Center, { id: message.centerId });
  // The first name only: nothing else about the patient is shown to whoever holds the link.
  const patient = await em.findOne(Patient, { id: appointment.patientId, centerId: message.centerId }, { fields: ['firstName'] });
  return { token: parsed.token, message, appointment, center, firstName: patient?.firstName ?? '' };
}

async function usedOutcome(em: EntityManager, messageId: string): Promise<Outcome | null> {
  const [row] = await em.execute<{ outcome: Outcome | null }[]>(
    `select outcome from confirm_tokens where message_id = ? and used_at is not null order by used_at limit 1`,
    [messageId],
  );
  return row?.outcome ?? null;
}

/** Records the first use of this token; false when another request used it first. */
async function claimToken(tx: EntityManager, ctx: LinkContext, outcome: Outcome, at: Date): Promise<boolean> {
  const claimed = await tx.execute<{ id: string }[]>(
    `insert into confirm_tokens (id, created_at, updated_at, center_id, appointment_id, message_id, token_hash, expires_at, used_at, outcome)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (token_hash) do update set used_at = excluded.used_at, outcome = excluded.outcome, updated_at = excluded.updated_at
       where confirm_tokens.used_at is null
     returning id`,
    [randomUUID(), at, at, ctx.center.id, ctx.appointment.id, ctx.message.id, hashToken(ctx.token), ctx.appointment.startAt, at, outcome],
  );
  return claimed.length > 0;
}

// ---- pages ----

function values(ctx: LinkContext, locale: Locale) {
  return { center: ctx.center.name, name: ctx.firstName, ...appointmentWhen(ctx.appointment.startAt, ctx.center.timeZone, locale) };
}

function questionPage(ctx: LinkContext, action: PatientAnswer): Page {
  const locale = localeOf(ctx.message.locale);
  const t = PAGE_TEXTS[locale];
  const v = values(ctx, locale);
  const question = fill(action === 'confirm' ? t.confirmQuestion : t.cancelQuestion, v);
  return {
    locale,
    title: action === 'confirm' ? t.confirmTitle : t.cancelTitle,
    paragraphs: [ctx.firstName ? `${fill(t.greeting, v)} ${question}` : question.charAt(0).toUpperCase() + question.slice(1)],
    button: action === 'confirm' ? t.confirmButton : t.cancelButton,
  };
}

function statePage(ctx: LinkContext, state: Exclude<LinkState, { kind: 'open' }>, action: PatientAnswer, firstUse: boolean): Page {
  const locale = localeOf(ctx.message.locale);
  const t = PAGE_TEXTS[locale];
  const v = values(ctx, locale);
  const callUs = ctx.center.phone ? [fill(t.callUs, { phone: ctx.center.phone })] : [];
  switch (state.kind) {
    case 'used': {
      const confirmed = state.outcome === 'confirmed';
      const paragraphs = [fill(confirmed ? t.confirmedBody : t.cancelledBody, v)];
      if (!firstUse && outcomeOf(action) !== state.outcome) paragraphs.unshift(t.alreadyAnswered);
      return { locale, title: confirmed ? t.confirmedTitle : t.cancelledTitle, paragraphs: [...paragraphs, ...callUs] };
    }
    case 'cancelled':
      return { locale, title: t.appointmentCancelledTitle, paragraphs: [fill(t.appointmentCancelledBody, v), ...callUs] };
    case 'expired':
      return { locale, title: t.expiredTitle, paragraphs: [t.expiredBody, ...callUs] };
  }
}

/** A bad link says so in both languages: without a valid token there is no message to take one from. */
export function invalidLinkPage(): Page {
  return {
    locale: 'it',
    title: `${PAGE_TEXTS.it.invalidTitle} / ${PAGE_TEXTS.en.invalidTitle}`,
    paragraphs: [PAGE_TEXTS.it.invalidBody, PAGE_TEXTS.en.invalidBody],
  };
}

const stateStatus = (state: LinkState) => (state.kind === 'expired' || state.kind === 'cancelled' ? 410 : 200);

export function confirmLinkRoutes(deps: ResolvedWebhookDeps): Hono {
  const app = new Hono();

  async function show(c: Context, action: PatientAnswer): Promise<Response> {
    const em = deps.orm.em.fork();
    const ctx = await loadLinkContext(em, deps.links, c.req.param('segment') ?? '', action);
    if (!ctx) return pageResponse(c, 404, invalidLinkPage());
    const state = linkState({
      usedOutcome: await usedOutcome(em, ctx.message.id),
      appointmentStatus: ctx.appointment.status,
      startAt: ctx.appointment.startAt,
      now: deps.now(),
    });
    if (state.kind === 'open') return pageResponse(c, 200, questionPage(ctx, action));
    return pageResponse(c, stateStatus(state), statePage(ctx, state, action, false));
  }

  async function act(c: Context, action: PatientAnswer): Promise<Response> {
    const em = deps.orm.em.fork();
    const ctx = await loadLinkContext(em, deps.links, c.req.param('segment') ?? '', action);
    if (!ctx) return pageResponse(c, 404, invalidLinkPage());
    const outcome = outcomeOf(action);
    // The answer goes to the outbox with the token's use: both commit, or neither does.
    const result = await em.transactional(async (tx) => {
      // Both links of one message queue here, so only one of them can be the first answer.
      await tx.execute(`select id from messages where id = ? for update`, [ctx.message.id]);
      const at = deps.now();
      const state = linkState({ usedOutcome: await usedOutcome(tx, ctx.message.id), appointmentStatus: ctx.appointment.status, startAt: ctx.appointment.startAt, now: at });
      if (state.kind !== 'open') return { state, firstUse: false };
      if (!(await claimToken(tx, ctx, outcome, at))) {
        return { state: { kind: 'used', outcome: (await usedOutcome(tx, ctx.message.id)) ?? outcome } as const, firstUse: false };
      }
      await enqueueCommands(tx, [{ type: 'patientAnswered', centerId: ctx.center.id, appointmentId: ctx.appointment.id, answer: action, via: 'link', eventId: `link:${ctx.message.id}` }]);
      return { state: { kind: 'used', outcome } as const, firstUse: true };
    });
    return pageResponse(c, stateStatus(result.state), statePage(ctx, result.state, action, result.firstUse));
  }

  for (const action of ['confirm', 'cancel'] as const) {
    app.get(`/${action}/:segment`, (c) => show(c, action));
    app.post(`/${action}/:segment`, (c) => act(c, action));
  }
  return app;
}
