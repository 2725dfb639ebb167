import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Channel } from '../domain/events.js';
import { ConsentChange, type ConsentActor, type ConsentField } from './entities/index.js';

export interface ConsentChangeInput {
  centerId: string;
  patientId: string;
  field: ConsentField;
  channel?: Channel | null;
  oldValue: string | boolean | null;
  newValue: string | boolean | null;
  actor: ConsentActor;
  actorId?: string | null;
  via: string;
  at: Date;
}

const asText = (value: string | boolean | null) => (value === null ? null : String(value));

/**
 * X7: appends one consent change, in the caller's transaction (so it commits with the change
 * itself). The one writer of `consent_changes`: the patient API, SMS STOP / START, unsubscribe
 * links and erasure all come through here.
 */
export async function recordConsentChange(em: EntityManager, change: ConsentChangeInput): Promise<void> {
  await em.insert(ConsentChange, {
    id: randomUUID(),
    centerId: change.centerId,
    patientId: change.patientId,
    field: change.field,
    channel: change.channel ?? null,
    oldValue: asText(change.oldValue),
    newValue: asText(change.newValue),
    actor: change.actor,
    actorId: change.actorId ?? null,
    via: change.via,
    createdAt: change.at,
    updatedAt: change.at,
  });
}

/**
 * X1 → X7: a patient's opt-out or opt-in (SMS STOP / START, an unsubscribe link), audited for
 * each patient of the address when it changed something. `source` is the path (sms_reply,
 * email_link, list_unsubscribe).
 */
export async function recordOptChangeAudit(
  em: EntityManager,
  change: { centerId: string; channel: Channel; patientIds: string[]; source: string; at: Date },
  to: 'opted_out' | 'opted_in',
  changed: boolean,
): Promise<void> {
  if (!changed) return;
  const from = to === 'opted_out' ? 'opted_in' : 'opted_out';
  for (const patientId of change.patientIds) {
    await recordConsentChange(em, { ...change, patientId, field: 'opt_out', oldValue: from, newValue: to, actor: 'patient', via: change.source });
  }
}
