import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { appointmentWorkflowId, policyChanged } from '../workflows/definitions.js';
import type { ActivityDeps } from './deps.js';

/** Appointments signalled per page; a retried attempt resumes after the last page it finished. */
const PAGE = 500;
/** Signals in flight at once. */
const CONCURRENCY = 50;
/** Finished appointments keep their workflow open this long for late reports (B3 post-visit). */
const STILL_OPEN_AFTER_END_MS = 30 * 24 * 3600_000;

/**
 * X3: tells every appointment of the center that can still send something that the settings
 * changed (version `settingsVersion`), page by page. The cursor is heartbeated, so a retry after
 * a worker crash goes on where the last attempt stopped instead of starting over.
 */
export function createSignalPolicyChanged(deps: ActivityDeps) {
  return async function signalPolicyChanged(input: { centerId: string; settingsVersion: number }): Promise<{ signalled: number; pages: number }> {
    const ctx = Context.current();
    const resumed = ctx.info.heartbeatDetails as { after: string; signalled: number; pages: number } | undefined;
    let after = resumed?.after ?? '00000000-0000-0000-0000-000000000000';
    let signalled = resumed?.signalled ?? 0;
    let pages = resumed?.pages ?? 0;
    for (;;) {
      const ids = await openAppointmentIds(deps, input.centerId, after);
      if (ids.length === 0) return { signalled, pages };
      for (let i = 0; i < ids.length; i += CONCURRENCY) {
        const reached = await Promise.all(ids.slice(i, i + CONCURRENCY).map((id) => signalOne(deps, input.centerId, id, input.settingsVersion)));
        signalled += reached.filter(Boolean).length;
      }
      after = ids[ids.length - 1]!;
      pages += 1;
      ctx.heartbeat({ after, signalled, pages });
    }
  };
}

async function openAppointmentIds(deps: ActivityDeps, centerId: string, after: string): Promise<string[]> {
  const rows = await deps.orm.em.fork().execute<{ id: string }[]>(
    `select id from appointments
      where center_id = ? and id > ? and status in ('booked', 'confirmed', 'attended') and end_at >= ?
      order by id limit ?`,
    [centerId, after, new Date(Date.now() - STILL_OPEN_AFTER_END_MS), PAGE],
  );
  return rows.map((r) => r.id);
}

async function signalOne(deps: ActivityDeps, centerId: string, appointmentId: string, settingsVersion: number): Promise<boolean> {
  try {
    await deps.temporal.workflow.getHandle(appointmentWorkflowId(centerId, appointmentId)).signal(policyChanged, { settingsVersion });
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false; // finished: nothing left to re-plan
    throw err;
  }
}
