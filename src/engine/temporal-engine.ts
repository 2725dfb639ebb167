import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Appointment, ResourceAlert } from '../db/entities/index.js';
import {
  alertProgressQuery,
  alertWorkflowId,
  appointmentCancelled,
  appointmentChanged,
  appointmentWorkflowId,
  callbackWorkflowId,
  attendanceRecorded,
  patientAnswered,
  policyChanged,
  timelineQuery,
} from '../workflows/definitions.js';
import type { appointmentWorkflow, bookingCallbackWorkflow, passwordMessageWorkflow, resourceAlertWorkflow } from '../workflows/index.js';
import { AppointmentId, AppointmentStart, CenterId, PatientId } from '../workflows/search-attributes.js';
import type { AlertProgress, Engine } from './port.js';

/** Ignores "no such workflow": an appointment without a running workflow has nothing to change. */
async function ignoreMissing<T>(work: Promise<T>): Promise<T | null> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/** The Engine port on Temporal: one workflow per appointment, signalled by id. */
export function createTemporalEngine(deps: { client: Client; taskQueue: string; orm: MikroORM }): Engine {
  const { client, taskQueue } = deps;
  const handle = (centerId: string, appointmentId: string) => client.workflow.getHandle(appointmentWorkflowId(centerId, appointmentId));

  return {
    async appointmentChanged(snapshot, options = {}) {
      const start = {
        workflowId: appointmentWorkflowId(snapshot.centerId, snapshot.appointmentId),
        taskQueue,
        args: [{ snapshot }] as [{ snapshot: typeof snapshot }],
        typedSearchAttributes: [
          { key: CenterId, value: snapshot.centerId },
          { key: AppointmentId, value: snapshot.appointmentId },
          { key: PatientId, value: snapshot.patientId },
          { key: AppointmentStart, value: new Date(snapshot.startAt) },
        ],
      };
      if (options.created) {
        try {
          await client.workflow.start<typeof appointmentWorkflow>('appointmentWorkflow', start);
          return;
        } catch (err) {
          // Already running (a booking system re-creating an id): it hears the change as a signal.
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      await client.workflow.signalWithStart<typeof appointmentWorkflow, [typeof snapshot]>('appointmentWorkflow', {
        ...start,
        signal: appointmentChanged,
        signalArgs: [snapshot],
      });
    },
    async appointmentCancelled(centerId, appointmentId, eventId, reason = 'booking') {
      await ignoreMissing(handle(centerId, appointmentId).signal(appointmentCancelled, { eventId, reason }));
    },
    async attendance(centerId, appointmentId, attended, eventId) {
      await ignoreMissing(handle(centerId, appointmentId).signal(attendanceRecorded, { eventId, attended }));
    },
    async patientAnswered(centerId, appointmentId, answer, via, eventId) {
      await ignoreMissing(handle(centerId, appointmentId).signal(patientAnswered, { eventId, answer, via }));
    },
    async policyChanged(centerId) {
      // X3: every appointment still ahead re-plans with the new policy.
      const em = deps.orm.em.fork();
      const open = await em.find(
        Appointment,
        { centerId, status: { $in: ['booked', 'confirmed'] }, endAt: { $gte: new Date(Date.now() - 3 * 24 * 3600_000) } },
        { fields: ['id'] },
      );
      for (let i = 0; i < open.length; i += 50) {
        await Promise.all(open.slice(i, i + 50).map((a) => ignoreMissing(handle(centerId, a.id).signal(policyChanged))));
      }
    },
    async resourceAlert(input) {
      await client.workflow.start<typeof resourceAlertWorkflow>('resourceAlertWorkflow', {
        workflowId: alertWorkflowId(input.centerId, input.alertId),
        taskQueue,
        args: [input],
        typedSearchAttributes: [{ key: CenterId, value: input.centerId }],
      });
    },
    async alertProgress(centerId, alertId): Promise<AlertProgress | null> {
      const live = await ignoreMissing(client.workflow.getHandle(alertWorkflowId(centerId, alertId)).query(alertProgressQuery));
      if (live) return live;
      const row = await deps.orm.em.fork().findOne(ResourceAlert, { id: alertId, centerId });
      return row ? { alertId, affected: row.affectedCount, notified: row.notifiedCount, done: true } : null;
    },
    async deliverCallback(centerId, callbackId) {
      await client.workflow.start<typeof bookingCallbackWorkflow>('bookingCallbackWorkflow', {
        workflowId: callbackWorkflowId(centerId, callbackId),
        taskQueue,
        args: [{ callbackId }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    },
    async sendPasswordMessage(request) {
      await client.workflow.start<typeof passwordMessageWorkflow>('passwordMessageWorkflow', {
        workflowId: `password-${request.centerId}-${request.requestId}`,
        taskQueue,
        args: [request],
        typedSearchAttributes: [{ key: CenterId, value: request.centerId }],
      });
    },
    async timeline(centerId, appointmentId) {
      return ignoreMissing(handle(centerId, appointmentId).query(timelineQuery));
    },
  };
}
