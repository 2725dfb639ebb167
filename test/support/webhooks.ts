import { randomInt, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { MikroORM } from '../../src/db/orm.js';
import { Appointment, Center, Message, Patient } from '../../src/db/entities/index.js';
import type { Channel, Locale, MessageStatus } from '../../src/domain/events.js';
import type { AnswerVia, Engine, PatientAnswer } from '../../src/engine/port.js';
import type { WebhookApps } from '../../src/api/webhooks/index.js';
import { freePort } from '../../src/dev/ports.js';
import { createOutboxRelay, type OutboxRelay } from '../../src/engine/outbox-relay.js';

/** The Engine port as the webhooks use it, recording calls (the workflows have their own tests). */
export interface RecordingEngine extends Engine {
  answers: { centerId: string; appointmentId: string; answer: PatientAnswer; via: AnswerVia; eventId: string }[];
  deliveries: { centerId: string; callbackId: string }[];
  /** The next patientAnswered call throws (the engine is unreachable). */
  failNextAnswer(): void;
}

export function recordingEngine(): RecordingEngine {
  let failAnswer = false;
  const unused = () => Promise.reject(new Error('not used by the webhooks'));
  const engine: RecordingEngine = {
    answers: [],
    deliveries: [],
    failNextAnswer() {
      failAnswer = true;
    },
    async patientAnswered(centerId, appointmentId, answer, via, eventId) {
      if (failAnswer) {
        failAnswer = false;
        throw new Error('engine unavailable');
      }
      engine.answers.push({ centerId, appointmentId, answer, via, eventId });
    },
    async deliverCallback(centerId, callbackId) {
      engine.deliveries.push({ centerId, callbackId });
    },
    appointmentChanged: unused,
    appointmentCancelled: unused,
    attendance: unused,
    policyChanged: unused,
    resourceAlert: unused,
    alertProgress: unused,
    timeline: unused,
  };
  return engine;
}

/**
 * The sub-apps mounted where src/api/app.ts mounts them. With a relay, what a request committed
 * to the outbox is delivered before the answer reaches the test (as the relay does within
 * milliseconds in production).
 */
export function mountWebhooks(apps: WebhookApps, relay?: OutboxRelay): Hono {
  const app = new Hono();
  if (relay) {
    app.use(async (_c, next) => {
      await next();
      await relay.drain();
    });
  }
  return app.route('/webhooks', apps.webhooks).route('/l', apps.links);
}

/** A relay that delivers outbox commands to a recording engine when drained (no LISTEN). */
export const recordingRelay = (orm: MikroORM, engine: Engine): OutboxRelay => createOutboxRelay({ orm, engine, listen: false });

/** A real HTTP server on a free loopback port, so the Twilio test server can post to it. */
export async function reservePort(): Promise<{ port: number; url: string }> {
  const port = await freePort();
  return { port, url: `http://127.0.0.1:${port}` };
}

export async function serveOn(app: Hono, port: number): Promise<{ close: () => Promise<void> }> {
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A fresh Italian mobile number, so tests never share a recipient. */
export const newMobile = () => `+39333${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;

export interface Clinic {
  center: Center;
  patient: Patient;
  appointment: Appointment;
}

/** A center, one patient and one appointment `startInMs` from now. */
export async function seedClinic(
  orm: MikroORM,
  input: { center?: Partial<Center>; patient?: Partial<Patient>; startInMs?: number; startAt?: Date } = {},
): Promise<Clinic> {
  const em = orm.em.fork();
  const center = em.create(Center, { name: 'Poliambulatorio Test', phone: '+390612345678', timeZone: 'Europe/Rome', ...input.center });
  const patient = em.create(Patient, {
    centerId: center.id,
    externalId: `p-${randomUUID()}`,
    firstName: 'Giulia',
    lastName: 'Bianchi',
    email: `giulia.${randomUUID().slice(0, 8)}@example.com`,
    mobile: newMobile(),
    privacyConsent: true,
    ...input.patient,
  });
  const startAt = input.startAt ?? new Date(Date.now() + (input.startInMs ?? 2 * 24 * 3600_000));
  const appointment = em.create(Appointment, {
    centerId: center.id,
    externalId: `a-${randomUUID()}`,
    patientId: patient.id,
    startAt,
    endAt: new Date(startAt.getTime() + 30 * 60_000),
    revision: 1,
  });
  await em.flush();
  return { center, patient, appointment };
}

/** A message row as the saga leaves it after a send. */
export async function addMessage(
  orm: MikroORM,
  clinic: Clinic,
  input: {
    channel: Channel;
    address?: string | null;
    asksConfirmation?: boolean;
    status?: MessageStatus;
    locale?: Locale;
    appointment?: Appointment;
    sentAt?: Date;
    /** SMS: the number it went out from (null: sent before senders were recorded). */
    sender?: string | null;
  },
): Promise<Message> {
  const em = orm.em.fork();
  const appointment = input.appointment ?? clinic.appointment;
  const address = input.address !== undefined ? input.address : input.channel === 'email' ? clinic.patient.email : clinic.patient.mobile;
  const status = input.status ?? 'sent';
  const message = em.create(Message, {
    centerId: clinic.center.id,
    idempotencyKey: `test:${randomUUID()}`,
    appointmentId: appointment.id,
    eventKind: 'appointment.reminder',
    channel: input.channel,
    recipientKind: 'patient',
    recipientId: clinic.patient.id,
    recipientAddress: address,
    locale: input.locale ?? 'it',
    body: 'Promemoria',
    status,
    dueAt: new Date(),
    sentAt: status === 'scheduled' || status === 'skipped' ? null : (input.sentAt ?? new Date()),
    asksConfirmation: input.asksConfirmation ?? false,
    sender: input.sender ?? null,
  });
  await em.flush();
  return message;
}
