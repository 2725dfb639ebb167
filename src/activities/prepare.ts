import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { messageCost } from '../domain/credits.js';
import type { Channel, Locale, SkipReason } from '../domain/events.js';
import { localDayKey, startOfLocalDay, endOfLocalDay } from '../domain/local-time.js';
import { appointmentScope, messageKey } from '../domain/message-key.js';
import { allowedPhoneCountries } from '../domain/destinations.js';
import { decideChannels, isPhoneChannel, overDailyCap, type ChannelDecision } from '../domain/rules.js';
import { smsSegments } from '../domain/sms-segments.js';
import { loadEventSetting } from '../db/event-settings.js';
import { Message, OptOut } from '../db/entities/index.js';
import { optOutHash } from '../db/opt-out-hash.js';
import { phoneMessagesToday } from '../db/sending-caps.js';
import { insertMessages } from '../db/message-store.js';
import { requireFresh } from './freshness.js';
import type { PrepareInput, PreparedMessage } from './types.js';
import type { ActivityDeps } from './deps.js';
import { notifyCenter } from './notices.js';
import { loadSubject, loadSubjects, type MessageSubject } from './render.js';
import { composeText, linksOf } from '../messages/compose.js';
import { observerOf } from '../messages/observer.js';

/**
 * prepareMessages: apply the sending rules (A1 A2 B1 C1 C2 D1 X1, B2-day), render each enabled
 * channel's text and insert one message row per channel under its idempotency key. Skips are
 * rows too, with their reason (E1). Running it twice for the same step returns the same rows.
 */
export function createPrepareMessages(deps: ActivityDeps) {
  return async function prepareMessages(input: PrepareInput): Promise<PreparedMessage[]> {
    const em = deps.orm.em.fork();
    // The center's version is read first: settings read after a fresh enough version are as new.
    const subject = await loadSubject(em, input.centerId, input.appointmentId, { patientId: input.patientId, resourceId: input.resourceId });
    requireFresh({ revision: subject.appointment?.revision ?? null, settingsVersion: subject.center.settingsVersion }, input);
    const [prepared] = await prepareAll(deps, em, await loadEventSetting(em, input.centerId, input.eventKind), [{ input, subject }]);
    return prepared!;
  };
}

/**
 * B4: the same step (one event kind of one center, e.g. an alert) for many appointments, under
 * the same rules as prepareMessages, in a few statements instead of a dozen per appointment: one
 * read of the appointments and their people, one of the existing rows, one of the opt-outs, one
 * of each template, one insert. By appointment id; an appointment not found gets no rows.
 */
export function createPrepareForAppointments(deps: ActivityDeps) {
  return async function prepareForAppointments(inputs: (PrepareInput & { appointmentId: string })[]): Promise<Map<string, PreparedMessage[]>> {
    const first = inputs[0];
    if (!first) return new Map();
    if (inputs.some((i) => i.centerId !== first.centerId || i.eventKind !== first.eventKind || i.recipient !== 'patient')) {
      throw new Error('prepareForAppointments: one center, one event kind, patients only');
    }
    const em = deps.orm.em.fork();
    const subjects = await loadSubjects(em, first.centerId, inputs.map((i) => i.appointmentId));
    const items = inputs.flatMap((input) => {
      const subject = subjects.get(input.appointmentId);
      if (!subject) return [];
      requireFresh({ revision: subject.appointment?.revision ?? null, settingsVersion: subject.center.settingsVersion }, input);
      return [{ input, subject }];
    });
    const prepared = await prepareAll(deps, em, await loadEventSetting(em, first.centerId, first.eventKind), items);
    return new Map(items.map((item, i) => [item.input.appointmentId, prepared[i]!]));
  };
}

interface Item {
  input: PrepareInput;
  subject: MessageSubject;
}

/** The rules, texts and rows of each item's step (all of one center and event kind); one list per item. */
async function prepareAll(deps: ActivityDeps, em: EntityManager, setting: { channels: Channel[]; options: unknown }, items: Item[]): Promise<PreparedMessage[][]> {
  if (setting.channels.length === 0 || items.length === 0) return items.map(() => []);
  const keysOf = items.map(({ input, subject }) => {
    const person = input.recipient === 'patient' ? subject.patient : subject.resource;
    if (!person) return null;
    const scope = input.appointmentId ? appointmentScope(input.centerId, input.appointmentId) : `center:${input.centerId}`;
    return (channel: Channel) => messageKey({ scope, eventKind: input.eventKind, slot: input.slot, channel, recipientId: person.id });
  });
  const existing = await em.find(Message, { idempotencyKey: { $in: keysOf.flatMap((keyOf) => (keyOf ? setting.channels.map(keyOf) : [])) } });
  const byKey = new Map(existing.map((m) => [m.idempotencyKey, m]));
  const done = keysOf.map((keyOf) => !keyOf || setting.channels.every((c) => byKey.has(keyOf(c))));
  const todo = items.filter((_, i) => !done[i]);
  const center = items[0]!.subject.center;

  const now = deps.now?.() ?? new Date();
  const stored = todo.length === 0 ? [] : await em.transactional(async (tx) => {
    const optOuts = await optOutsOf(tx, center.id, todo.map(({ input, subject }) => contactsOf(input, subject)));
    const decided = todo.map(({ input, subject }) => decideChannels(rulesInput(input, subject, setting.channels, setting.options, optOuts)));
    const onePerDay = (input: PrepareInput) => input.eventKind === 'appointment.reminder' && optionOf(setting.options, 'onePerDay') === true;
    // Serialise reminders of one patient so two appointments cannot both pass the check (in one order: no deadlock).
    const patients = [...new Set(todo.flatMap(({ input, subject }) => (onePerDay(input) && subject.patient ? [subject.patient.id] : [])))].sort();
    for (const patientId of patients) await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [`reminder-day:${patientId}`]);
    // The platform's daily cap on SMS + voice (issue 9): counted under a per-center lock.
    const countsToCap = todo.some(({ input }, i) => !input.forcedSkip && decided[i]!.some((d) => d.send && isPhoneChannel(d.channel)));
    let phoneToday = countsToCap ? await phoneMessagesToday(tx, center, now) : 0;
    const templates = new Map<string, Promise<{ subject: string | null; body: string }>>();
    const rows: Message[] = [];
    for (const [i, { input, subject }] of todo.entries()) {
      const keyOf = keysOf[items.indexOf(todo[i]!)]!;
      const dueAt = new Date(input.dueAt);
      const erased = input.recipient === 'patient' && !!subject.patient?.erasedAt; // X7: nothing to an erased patient
      for (const decision of decided[i]!) {
        const idempotencyKey = keyOf(decision.channel);
        let reason: SkipReason | null = input.forcedSkip ?? (erased ? 'erased' : decision.send ? null : decision.reason);
        if (!reason && onePerDay(input) && (await hasReminderThatDay(tx, subject, dueAt))) reason = 'one_per_day';
        if (!reason && overDailyCap(decision.channel, phoneToday, center.dailyPhoneCap)) reason = 'daily_cap';
        if (!reason && isPhoneChannel(decision.channel)) phoneToday += 1;
        rows.push(await composeRow(tx, deps, { input, subject, decision, reason, idempotencyKey, options: setting.options, templates }));
      }
    }
    const inserted = await insertMessages(tx, rows);
    // Rows of this run (not a concurrent or earlier one's) count once, after the commit.
    const mine = new Set(rows.map((r) => r.id));
    return { inserted, created: inserted.filter((m) => mine.has(m.id)) };
  }).then(({ inserted, created }) => {
    for (const m of created) observerOf(deps).reached(m, m.status, m.skipReason);
    return inserted;
  });
  for (const m of stored) byKey.set(m.idempotencyKey, m);
  const prepared = keysOf.map((keyOf) => (keyOf ? setting.channels.flatMap((c) => byKey.get(keyOf(c)) ?? []).map(toPrepared) : []));
  if (prepared.some((list) => list.some((m) => m.reason === 'daily_cap'))) {
    // B6, once a day (the notice is keyed by its day).
    const day = localDayKey(now, center.timeZone);
    await notifyCenter(deps, em, { centerId: center.id, kind: 'daily_cap_reached', slot: day, detail: String(center.dailyPhoneCap) });
  }
  return prepared;
}

function optionOf(options: unknown, key: string): unknown {
  return typeof options === 'object' && options !== null ? (options as Record<string, unknown>)[key] : undefined;
}

/** The addresses a step may go to: the patient's or the resource's. */
function contactsOf(input: PrepareInput, subject: MessageSubject) {
  const { patient, resource } = subject;
  return input.recipient === 'patient'
    ? { email: patient?.email ?? null, mobile: patient?.mobile ?? null, landline: patient?.landline ?? null }
    : { email: resource?.email ?? null, mobile: resource?.mobile ?? null, landline: resource?.phone ?? null };
}

/** The center's opt-outs of these contacts, in one query. */
async function optOutsOf(em: EntityManager, centerId: string, contacts: ReturnType<typeof contactsOf>[]): Promise<OptOut[]> {
  const addresses = contacts.flatMap((c) => [c.email, c.mobile, c.landline].filter((a): a is string => !!a));
  // X7: an erased patient's opt-outs are kept hashed; a new patient with that address is still blocked.
  const lookup = [...new Set([...addresses, ...addresses.map((a) => optOutHash(centerId, a))])];
  return lookup.length ? em.find(OptOut, { centerId, address: { $in: lookup } }) : [];
}

function rulesInput(input: PrepareInput, subject: MessageSubject, channels: Channel[], options: unknown, centerOptOuts: OptOut[]) {
  const { center, patient, resource, service, appointment } = subject;
  const forPatient = input.recipient === 'patient';
  const contacts = contactsOf(input, subject);
  const addresses = [contacts.email, contacts.mobile, contacts.landline].filter((a): a is string => !!a);
  const mine = new Set([...addresses, ...addresses.map((a) => optOutHash(center.id, a))]);
  const optOuts = centerOptOuts.filter((o) => mine.has(o.address));
  const optedOut = new Set<Channel>([...(forPatient ? patient?.optedOutChannels ?? [] : []), ...optOuts.map((o) => o.channel)]);
  return {
    recipient: input.recipient,
    masterEnabled: center.communicationsEnabled,
    eventChannels: channels,
    bookedOnline: appointment?.bookedOnline ?? false,
    onlineOnly: optionOf(options, 'onlineOnly') === true,
    privacyRequired: center.privacyRequired,
    privacyConsent: patient?.privacyConsent ?? false,
    preference: forPatient ? patient?.channelPreference ?? null : null,
    resourceMemoEnabled: resource?.memoEnabled ?? true,
    serviceMemoEnabled: service?.memoEnabled ?? true,
    contacts,
    optedOut: [...optedOut],
    phoneCountries: allowedPhoneCountries(center),
  };
}

/** B2-day: another appointment's reminder already goes to this patient that local day. */
async function hasReminderThatDay(em: EntityManager, subject: MessageSubject, dueAt: Date): Promise<boolean> {
  const day = localDayKey(dueAt, subject.center.timeZone);
  const other = await em.count(Message, {
    centerId: subject.center.id,
    recipientId: subject.patient!.id,
    eventKind: 'appointment.reminder',
    appointmentId: { $ne: subject.appointment?.id ?? null },
    status: { $nin: ['skipped', 'failed'] },
    dueAt: { $gte: startOfLocalDay(day, subject.center.timeZone), $lt: endOfLocalDay(day, subject.center.timeZone) },
  });
  return other > 0;
}

/** One message row: recipient, reason, rendered text in the recipient's language, credits. */
async function composeRow(
  em: EntityManager,
  deps: ActivityDeps,
  args: {
    input: PrepareInput;
    subject: MessageSubject;
    decision: ChannelDecision;
    reason: SkipReason | null;
    idempotencyKey: string;
    options: unknown;
    templates: Map<string, Promise<{ subject: string | null; body: string }>>;
  },
): Promise<Message> {
  const { input, subject, decision, reason, idempotencyKey, options, templates } = args;
  const person = input.recipient === 'patient' ? subject.patient! : subject.resource!;
  const locale: Locale = person.locale ?? subject.center.locale;
  const id = randomUUID();
  const text = await composeText(em, {
    eventKind: input.eventKind,
    channel: decision.channel,
    locale,
    subject,
    options,
    links: linksOf(deps.links, id),
    delayMinutes: input.delayMinutes ?? null,
    // B7: the stored copy shows ••••••, never the secret; the send re-renders with it.
    secret: input.secretRef ? { password: 'x', setupUrl: 'x' } : null,
    redact: input.secretRef !== undefined,
    templates,
  });
  const segments = decision.channel === 'sms' ? Math.max(1, smsSegments(text.body).segments) : 1;
  const prices = { email: subject.center.priceEmail, smsSegment: subject.center.priceSmsSegment, voice: subject.center.priceVoice };
  const row = new Message();
  Object.assign(row, {
    id,
    centerId: input.centerId,
    idempotencyKey,
    appointmentId: input.appointmentId,
    eventKind: input.eventKind,
    channel: decision.channel,
    recipientKind: input.recipient,
    recipientId: person.id,
    recipientAddress: decision.address,
    locale,
    subject: text.subject,
    body: text.body,
    segments: decision.channel === 'sms' ? segments : null,
    credits: reason ? 0 : messageCost({ channel: decision.channel, segments, prices }),
    dueAt: new Date(input.dueAt),
    status: reason ? 'skipped' : 'scheduled',
    skipReason: reason,
    asksConfirmation: text.asksConfirmation,
    secretRef: input.secretRef ?? null,
  });
  return row;
}

function toPrepared(row: Message): PreparedMessage {
  const dispatchable = row.channel === 'email' && !row.secretRef && row.createdAt.getTime() < row.dueAt.getTime();
  return { messageId: row.id, channel: row.channel, status: row.status, reason: row.skipReason, ...(dispatchable ? { dispatchable: true as const } : {}) };
}
