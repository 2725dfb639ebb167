import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ResourceAlert } from '../db/entities/index.js';
import {
  alertProgressQuery,
  alertWorkflowId,
  appointmentCancelled,
  appointmentChanged,
  appointmentWorkflowId,
  callbackWorkflowId,
  attendanceRecorded,
  patientAnswered,
  policyFanoutWorkflowId,
  timelineQuery,
} from '../workflows/definitions.js';
import type { appointmentWorkflow, bookingCallbackWorkflow, passwordMessageWorkflow, policyFanoutWorkflow, resourceAlertWorkflow } from '../workflows/index.js';
import { CenterId } from '../workflows/search-attributes.js';
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

/** A start the relay may repeat: the workflow id already taken means it was delivered before. */
async function startOnce(start: Promise<unknown>): Promise<void> {
  try {
    await start;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** The Engine port on Temporal: one workflow per appointment, signalled by id. */
export function createTemporalEngine(deps: { client: Client; taskQueue: string; orm: MikroORM }): Engine {
  const { client, taskQueue } = deps;
  const handle = (centerId: string, appointmentId: string) => client.workflow.getHandle(appointmentWorkflowId(centerId, appointmentId));

  return {
    async appointmentChanged(snapshot, options = {}) {
      // No search attributes here: the workflow's first task upserts them (ids, start, status), so
      // setting them at the start too made Temporal write them twice, and cost the start ~15 %
      // of its rate (bench/README, #8). Operators find a new workflow by its attributes once that
      // first task has run; by its id (center and appointment) at once.
      const start = {
        workflowId: appointmentWorkflowId(snapshot.centerId, snapshot.appointmentId),
        taskQueue,
        args: [{ snapshot }] as [{ snapshot: typeof snapshot }],
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
    async policyChanged(centerId, settingsVersion) {
      // X3: one fan-out run per version pages through the open appointments, outside the request.
      await startOnce(
        client.workflow.start<typeof policyFanoutWorkflow>('policyFanoutWorkflow', {
          workflowId: policyFanoutWorkflowId(centerId, settingsVersion),
          taskQueue,
          args: [{ centerId, settingsVersion }],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [{ key: CenterId, value: centerId }],
        }),
      );
    },
    async resourceAlert(input) {
      await startOnce(
        client.workflow.start<typeof resourceAlertWorkflow>('resourceAlertWorkflow', {
          workflowId: alertWorkflowId(input.centerId, input.alertId),
          taskQueue,
          args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [{ key: CenterId, value: input.centerId }],
        }),
      );
    },
    async alertProgress(centerId, alertId): Promise<AlertProgress | null> {
      const live = await ignoreMissing(client.workflow.getHandle(alertWorkflowId(centerId, alertId)).query(alertProgressQuery));
      if (live) return live;
      const row = await deps.orm.em.fork().findOne(ResourceAlert, { id: alertId, centerId });
      // No workflow: finished (and recorded), or not started yet (its command still in the outbox).
      return row ? { alertId, affected: row.affectedCount, notified: row.notifiedCount, done: row.finishedAt !== null } : null;
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
      await startOnce(
        client.workflow.start<typeof passwordMessageWorkflow>('passwordMessageWorkflow', {
          workflowId: `password-${request.centerId}-${request.requestId}`,
          taskQueue,
          args: [request],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [{ key: CenterId, value: request.centerId }],
        }),
      );
    },
    async timeline(centerId, appointmentId) {
      return ignoreMissing(handle(centerId, appointmentId).query(timelineQuery));
    },
  };
}
