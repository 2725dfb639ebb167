import type { EntityManager } from '@mikro-orm/postgresql';
import type { Channel, EventKind, Locale } from '../domain/events.js';
import { renderMessage } from '../domain/placeholders.js';
import type { RenderExtra } from '../domain/render-context.js';
import type { StashedSecret } from '../db/secret-stash.js';
import { renderContext, templateFor, type MessageSubject } from '../activities/render.js';

/**
 * The one way a message's text is made (A4): for the row prepare stores, for the send of a B7
 * secret, for the B6 notices to a center's admins and for the template preview. The template is
 * the center's own for event × channel × locale (or the default variant for the event's options),
 * rendered in the recipient's language and the center's time zone; the subject on one line.
 */

/** Events whose emails carry List-Unsubscribe (X1): marketing-like, not appointment-critical. */
export const UNSUBSCRIBABLE: ReadonlySet<EventKind> = new Set(['appointment.post_visit', 'recall']);

/** The links of one message, made only when its text needs them. */
export interface MessageLinks {
  confirmUrl(): string;
  cancelUrl(): string;
  unsubscribeUrl(): string;
}

export interface ComposeInput {
  eventKind: EventKind;
  channel: Channel;
  locale: Locale;
  subject: MessageSubject;
  /** The event's options (A2 settings): confirmation request, survey, recall set-up link. */
  options: unknown;
  links: MessageLinks;
  /** B4: the start is told as start + delay. */
  delayMinutes?: number | null;
  /** B7: the secret the text carries; with `redact`, shown as ••••••. */
  secret?: StashedSecret | null;
  redact?: boolean;
  /** B6: the notice's own text. */
  notice?: string | null;
  /** Render this template instead of the center's (the preview of an unsaved edit). */
  template?: { subject: string | null; body: string };
  /** Values that replace the computed ones (the preview's examples). */
  values?: RenderExtra;
  /** Templates already read for other messages of the same batch (B4: an alert's patients), by what selects them. */
  templates?: Map<string, Promise<{ subject: string | null; body: string }>>;
}

export interface ComposedText {
  subject: string | null;
  body: string;
  /** B2-confirm: the text asks the patient to confirm or cancel. */
  asksConfirmation: boolean;
}

const optionOf = (options: unknown, key: string): unknown =>
  typeof options === 'object' && options !== null ? (options as Record<string, unknown>)[key] : undefined;

export async function composeText(em: EntityManager, input: ComposeInput): Promise<ComposedText> {
  const { eventKind, channel, locale, subject, options, links } = input;
  const asksConfirmation = eventKind === 'appointment.reminder' && optionOf(options, 'requestConfirmation') === true;
  const survey = eventKind === 'appointment.post_visit' && optionOf(options, 'kind') === 'survey';
  const which = { centerId: subject.center.id, eventKind, channel, locale, requestConfirmation: asksConfirmation, survey };
  const template = input.template ?? (await (input.templates ? memo(input.templates, JSON.stringify(which), () => templateFor(em, which)) : templateFor(em, which)));
  const surveyUrl = optionOf(options, 'surveyUrl');
  const recallSetupUrl = optionOf(options, 'setupUrl');
  const offerSetup = eventKind === 'recall' && optionOf(options, 'includeSetupLink') === true && subject.patient?.hasPassword === false;
  const ctx = renderContext(subject, {
    confirmUrl: asksConfirmation ? links.confirmUrl() : null,
    cancelUrl: asksConfirmation ? links.cancelUrl() : null,
    surveyUrl: typeof surveyUrl === 'string' ? surveyUrl : null,
    unsubscribeUrl: UNSUBSCRIBABLE.has(eventKind) ? links.unsubscribeUrl() : null,
    delayMinutes: input.delayMinutes ?? null,
    password: input.secret?.password ?? null,
    setupUrl: input.secret?.setupUrl ?? (offerSetup && typeof recallSetupUrl === 'string' ? recallSetupUrl : null),
    notice: input.notice ?? null,
    ...input.values,
  });
  const rendered = renderMessage(template, ctx, { locale, timeZone: subject.center.timeZone, spoken: channel === 'voice', redact: input.redact ?? false });
  return { ...rendered, asksConfirmation };
}

function memo<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let value = cache.get(key);
  if (!value) cache.set(key, (value = load()));
  return value;
}

/** The links of the stored message `messageId` (signed with the link secret). */
export function linksOf(links: { confirmUrl(id: string): string; cancelUrl(id: string): string; unsubscribeUrl(id: string): string }, messageId: string): MessageLinks {
  return {
    confirmUrl: () => links.confirmUrl(messageId),
    cancelUrl: () => links.cancelUrl(messageId),
    unsubscribeUrl: () => links.unsubscribeUrl(messageId),
  };
}
