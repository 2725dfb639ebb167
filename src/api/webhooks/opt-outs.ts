import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordOptChangeAudit } from '../../db/consent-audit.js';
import type { Channel } from '../../domain/events.js';
import { enqueueCommands } from '../../db/outbox.js';

/**
 * X1 opt-out and opt-in of one address on one channel for one center, and the X4 callback that
 * tells the booking system. Idempotent: the opt_outs row is unique per (center, channel,
 * address), the patient's channel list is changed only when it lacks / has the channel, and the
 * callback row is unique per event id (the provider's message id or our message id) and patient.
 */

export interface OptChange {
  centerId: string;
  channel: Channel;
  /** The phone number or email address; null when the message had none. */
  address: string | null;
  /** Internal ids of the center's patients this address belongs to. */
  patientIds: string[];
  /** e.g. sms_reply, email_link, list_unsubscribe. */
  source: string;
  /** Unique per patient action, e.g. `sms-stop:SM…`; the patient id is appended. */
  eventId: string;
  at: Date;
}

/** Runs inside the caller's transaction; the callbacks it records are handed to the outbox there too. */
export async function recordOptOut(tx: EntityManager, change: OptChange): Promise<string[]> {
  let changed = false;
  if (change.address) {
    const inserted = await tx.execute<{ id: string }[]>(
      `insert into opt_outs (id, created_at, updated_at, center_id, channel, address, source) values (?, ?, ?, ?, ?, ?, ?)
       on conflict (center_id, channel, address) do nothing returning id`,
      [randomUUID(), change.at, change.at, change.centerId, change.channel, change.address, change.source],
    );
    changed = inserted.length > 0;
  }
  for (const patientId of change.patientIds) {
    const updated = await tx.execute<{ id: string }[]>(
      `update patients set opted_out_channels = array_append(opted_out_channels, ?::text), updated_at = ?
       where id = ? and center_id = ? and not (?::text = any(opted_out_channels)) returning id`,
      [change.channel, change.at, patientId, change.centerId, change.channel],
    );
    changed ||= updated.length > 0;
  }
  await recordOptChangeAudit(tx, change, 'opted_out', changed); // X7
  return recordCallbacks(tx, change, 'patient.opted_out', changed);
}

export async function recordOptIn(tx: EntityManager, change: OptChange): Promise<string[]> {
  let changed = false;
  if (change.address) {
    const deleted = await tx.execute<{ id: string }[]>(`delete from opt_outs where center_id = ? and channel = ? and address = ? returning id`, [
      change.centerId,
      change.channel,
      change.address,
    ]);
    changed = deleted.length > 0;
  }
  for (const patientId of change.patientIds) {
    const updated = await tx.execute<{ id: string }[]>(
      `update patients set opted_out_channels = array_remove(opted_out_channels, ?::text), updated_at = ?
       where id = ? and center_id = ? and ?::text = any(opted_out_channels) returning id`,
      [change.channel, change.at, patientId, change.centerId, change.channel],
    );
    changed ||= updated.length > 0;
  }
  await recordOptChangeAudit(tx, change, 'opted_in', changed); // X7
  return recordCallbacks(tx, change, 'patient.opted_in', changed);
}

/**
 * One callback per patient when something changed. A repeat of the same event (same id) finds
 * the rows of the first attempt and hands them back, so a delivery that failed to start is
 * started again; a new STOP from an address already opted out records nothing.
 */
async function recordCallbacks(tx: EntityManager, change: OptChange, type: string, changed: boolean): Promise<string[]> {
  if (change.patientIds.length === 0) return [];
  const [center] = await tx.execute<{ callback_url: string | null }[]>(`select callback_url from centers where id = ?`, [change.centerId]);
  if (!center?.callback_url) return [];
  const ids: string[] = [];
  for (const patientId of change.patientIds) {
    const eventId = `${change.eventId}:${patientId}`;
    if (changed) {
      const [patient] = await tx.execute<{ external_id: string }[]>(`select external_id from patients where id = ? and center_id = ?`, [patientId, change.centerId]);
      if (!patient) continue;
      const payload = { patientId: patient.external_id, channel: change.channel, source: change.source, at: change.at.toISOString() };
      await tx.execute(
        `insert into callback_deliveries (id, created_at, updated_at, center_id, type, event_id, payload, attempts)
         values (?, ?, ?, ?, ?, ?, ?::jsonb, 0) on conflict (event_id) do nothing`,
        [randomUUID(), change.at, change.at, change.centerId, type, eventId, JSON.stringify(payload)],
      );
    }
    const [row] = await tx.execute<{ id: string }[]>(`select id from callback_deliveries where event_id = ? and center_id = ? and delivered_at is null`, [
      eventId,
      change.centerId,
    ]);
    if (row) ids.push(row.id);
  }
  await enqueueCommands(tx, ids.map((callbackId) => ({ type: 'deliverCallback' as const, centerId: change.centerId, callbackId })));
  return ids;
}
