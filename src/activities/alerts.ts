import { WorkflowNotFoundError } from '@temporalio/client';
import { endOfLocalDay, startOfLocalDay } from '../domain/local-time.js';
import { Appointment, Center, ResourceAlert } from '../db/entities/index.js';
import { appointmentWorkflowId, resourceAlerted } from '../workflows/definitions.js';
import type { SkipReason } from '../domain/events.js';
import type { ActivityDeps } from './deps.js';
import { debitPrepared } from './ready.js';
import type { DebitResult, PrepareInput, PreparedMessage, ReadyMessage } from './types.js';

/** B4: the open appointments of a resource on one local day of the center. */
export function createFindAlertAppointments(deps: ActivityDeps) {
  return async function findAlertAppointments(input: { centerId: string; resourceId: string; day: string }): Promise<string[]> {
    const em = deps.orm.em.fork();
    const center = await em.findOneOrFail(Center, { id: input.centerId });
    const rows = await em.find(
      Appointment,
      {
        centerId: input.centerId,
        resourceId: input.resourceId,
        status: { $in: ['booked', 'confirmed'] },
        startAt: { $gte: startOfLocalDay(input.day, center.timeZone), $lt: endOfLocalDay(input.day, center.timeZone) },
      },
      { fields: ['id'], orderBy: { startAt: 'asc' } },
    );
    return rows.map((r) => r.id);
  };
}

/** Patients whose alert messages are prepared together (a few statements per chunk, not per patient). */
export const ALERT_PREPARE_CHUNK = 50;

type AlertSignal = { centerId: string; alertId: string; appointmentIds: string[]; kind: 'delay' | 'absence'; delayMinutes: number | null };

/**
 * B4: signal every affected appointment; returns how many were reached. For a delay, the
 * patients' messages are prepared here first, ALERT_PREPARE_CHUNK at a time under the rules of
 * prepareMessages (same idempotency keys as the appointment's own step), each paid, and handed
 * over in the signal as message ids: the appointment's workflow task then only sends. At the
 * alert instant, when 200 appointments wake together, that spares each of them a local activity
 * of a dozen statements. An absence cancels the appointment first, so its message is prepared
 * by the workflow after that, as before.
 */
export function createSignalAlert(
  deps: ActivityDeps,
  steps: {
    prepareForAppointments: (inputs: (PrepareInput & { appointmentId: string })[]) => Promise<Map<string, PreparedMessage[]>>;
    debitCredits: (input: { messageId: string }) => Promise<DebitResult>;
    releaseMessages: (input: { messageIds: string[]; reason: SkipReason }) => Promise<unknown>;
  },
) {
  return async function signalAlert(input: AlertSignal): Promise<number> {
    const signal = async (appointmentId: string, ready?: ReadyMessage[]): Promise<number> => {
      try {
        await deps.temporal.workflow
          .getHandle(appointmentWorkflowId(input.centerId, appointmentId))
          .signal(resourceAlerted, { alertId: input.alertId, kind: input.kind, delayMinutes: input.delayMinutes, ...(ready ? { ready } : {}) });
        return 1;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        // No workflow to send it (nothing planned for it): what was paid is refunded.
        const paid = (ready ?? []).filter((m) => m.state === 'ready').map((m) => m.messageId);
        if (paid.length) await steps.releaseMessages({ messageIds: paid, reason: 'superseded' });
        return 0;
      }
    };
    if (input.kind !== 'delay') return sum(await Promise.all(input.appointmentIds.map((id) => signal(id))));
    const dueAt = (deps.now?.() ?? new Date()).toISOString();
    let reached = 0;
    for (let from = 0; from < input.appointmentIds.length; from += ALERT_PREPARE_CHUNK) {
      const chunk = input.appointmentIds.slice(from, from + ALERT_PREPARE_CHUNK);
      const prepared = await steps.prepareForAppointments(
        chunk.map((appointmentId) => ({ centerId: input.centerId, appointmentId, eventKind: 'alert.delay', slot: input.alertId, dueAt, recipient: 'patient', delayMinutes: input.delayMinutes })),
      );
      // Each signalled as soon as it is paid (the debits queue on the center's row anyway).
      reached += sum(await Promise.all(chunk.map(async (appointmentId) => signal(appointmentId, await debitPrepared(prepared.get(appointmentId) ?? [], steps.debitCredits)))));
    }
    return reached;
  };
}

function sum(values: number[]): number {
  return values.reduce((total, n) => total + n, 0);
}

export function createRecordAlertProgress(deps: ActivityDeps) {
  return async function recordAlertProgress(input: { centerId: string; alertId: string; affected: number; notified: number }): Promise<void> {
    const em = deps.orm.em.fork();
    await em.nativeUpdate(ResourceAlert, { id: input.alertId, centerId: input.centerId }, { affectedCount: input.affected, notifiedCount: input.notified, finishedAt: new Date() });
  };
}
