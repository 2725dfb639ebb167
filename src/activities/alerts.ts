import { WorkflowNotFoundError } from '@temporalio/client';
import { endOfLocalDay, startOfLocalDay } from '../domain/local-time.js';
import { Appointment, Center, ResourceAlert } from '../db/entities/index.js';
import { appointmentWorkflowId, resourceAlerted } from '../workflows/definitions.js';
import type { ActivityDeps } from './deps.js';

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

/** B4: signal every affected appointment at once; returns how many were reached. */
export function createSignalAlert(deps: ActivityDeps) {
  return async function signalAlert(input: { centerId: string; alertId: string; appointmentIds: string[]; kind: 'delay' | 'absence'; delayMinutes: number | null }): Promise<number> {
    const results = await Promise.all(
      input.appointmentIds.map(async (appointmentId) => {
        try {
          await deps.temporal.workflow
            .getHandle(appointmentWorkflowId(input.centerId, appointmentId))
            .signal(resourceAlerted, { alertId: input.alertId, kind: input.kind, delayMinutes: input.delayMinutes });
          return 1;
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return 0; // no messages planned for it
          throw err;
        }
      }),
    );
    return results.reduce<number>((sum, n) => sum + n, 0);
  };
}

export function createRecordAlertProgress(deps: ActivityDeps) {
  return async function recordAlertProgress(input: { centerId: string; alertId: string; affected: number; notified: number }): Promise<void> {
    const em = deps.orm.em.fork();
    await em.nativeUpdate(ResourceAlert, { id: input.alertId, centerId: input.centerId }, { affectedCount: input.affected, notifiedCount: input.notified, finishedAt: new Date() });
  };
}
