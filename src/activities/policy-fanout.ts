import type { EntityManager } from '@mikro-orm/postgresql';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { openAppointmentIds, recordFanoutProgress, startFanoutProgress } from '../db/policy-fanouts.js';
import { Center } from '../db/entities/index.js';
import { appointmentWorkflowId, policyChanged, type PolicyChange } from '../workflows/definitions.js';
import { readCenterPolicy } from './appointments.js';
import type { ActivityDeps } from './deps.js';
import { requireFresh } from './freshness.js';

/** Appointments signalled per page; a retried attempt resumes after the last page it finished. */
const PAGE = 500;
/**
 * `concurrency`: signals in flight at once. `ahead`: chunks signalled ahead of the oldest one the
 * worker has acted on. The fan-out signals far faster than the worker re-plans, so unpaced it
 * queued thousands of workflow tasks at once: those that waited longer than the sticky queue's
 * schedule-to-start timeout (10 s) were moved by Temporal to the normal queue, behind the rest,
 * and replayed from scratch there (44 of 60 sampled histories at N = 2 000). Paced, the queue
 * stays a few seconds long, and a reminder falling due meanwhile is not stuck behind the center.
 */
export const FANOUT_PACING = { concurrency: 25, ahead: 4 };
/** A workflow that does not act on its signal (stuck task) holds the fan-out back at most this long. */
const WAIT_AT_MOST_MS = 30_000;
const CHECK_EVERY_MS = 100;
const PROGRESS_EVERY_MS = 1000;

/**
 * X3: tells every appointment of the center that can still send something that the settings
 * changed (version `settingsVersion`), page by page. The cursor is heartbeated, so a retry after
 * a worker crash goes on where the last attempt stopped instead of starting over. The center's
 * policy is read once and goes with each signal, so an appointment re-plans without reading it
 * (one workflow task, no database round trip, at any center size).
 */
export function createSignalPolicyChanged(deps: ActivityDeps) {
  const { concurrency, ahead } = deps.fanoutPacing ?? FANOUT_PACING;
  return async function signalPolicyChanged(input: { centerId: string; settingsVersion: number }): Promise<{ signalled: number; pages: number }> {
    const ctx = Context.current();
    const resumed = ctx.info.heartbeatDetails as { after: string; signalled: number; pages: number } | undefined;
    let after = resumed?.after ?? '00000000-0000-0000-0000-000000000000';
    let signalled = resumed?.signalled ?? 0;
    let pages = resumed?.pages ?? 0;
    /** The last appointment reached in each chunk, oldest first: pacing probes. */
    const probes: string[] = [];
    const em = () => deps.orm.em.fork();
    const change = await readChange(em(), input);
    if (!resumed) await startFanoutProgress(em(), input.centerId, input.settingsVersion, new Date());
    // The progress row is written after each page and at most once a second within one.
    let recordedAt = Date.now();
    const record = async (finished: boolean) => {
      recordedAt = Date.now();
      await recordFanoutProgress(em(), input.centerId, input.settingsVersion, signalled, finished);
    };
    for (;;) {
      const ids = await openAppointmentIds(em(), input.centerId, after, PAGE, new Date());
      if (ids.length === 0) {
        await record(true);
        return { signalled, pages };
      }
      for (let i = 0; i < ids.length; i += concurrency) {
        const chunk = ids.slice(i, i + concurrency);
        const reached = await Promise.all(chunk.map((id) => signalOne(deps, input.centerId, id, change)));
        signalled += reached.filter(Boolean).length;
        const last = chunk.findLast((_, j) => reached[j]);
        if (last) probes.push(last);
        if (probes.length > ahead) await actedOn(deps, input.centerId, probes.shift()!, () => ctx.heartbeat({ after, signalled, pages }));
        if (Date.now() - recordedAt >= PROGRESS_EVERY_MS) await record(false);
      }
      after = ids[ids.length - 1]!;
      pages += 1;
      ctx.heartbeat({ after, signalled, pages });
      await record(false);
    }
  };
}

/** What every signal of one fan-out attempt carries: the version and the center's policy at it. */
type FanoutChange = Required<PolicyChange>;

/** The center's policy at `settingsVersion` or newer (a later change may have committed meanwhile). */
async function readChange(em: EntityManager, input: { centerId: string; settingsVersion: number }): Promise<FanoutChange> {
  const center = await em.findOneOrFail(Center, { id: input.centerId });
  requireFresh({ revision: null, settingsVersion: center.settingsVersion }, { minSettingsVersion: input.settingsVersion });
  return { settingsVersion: center.settingsVersion, policy: (await readCenterPolicy(em, center)).policy };
}

async function signalOne(deps: ActivityDeps, centerId: string, appointmentId: string, change: FanoutChange): Promise<boolean> {
  try {
    await deps.temporal.workflow.getHandle(appointmentWorkflowId(centerId, appointmentId)).signal(policyChanged, change);
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false; // finished: nothing left to re-plan
    throw err;
  }
}

/** Waits until the workflow has run the task its signal scheduled (no workflow task pending). */
async function actedOn(deps: ActivityDeps, centerId: string, appointmentId: string, alive: () => void): Promise<void> {
  const handle = deps.temporal.workflow.getHandle(appointmentWorkflowId(centerId, appointmentId));
  const until = Date.now() + WAIT_AT_MOST_MS;
  while (Date.now() < until) {
    const described = await handle.describe().catch(() => null);
    if (!described?.raw.pendingWorkflowTask) return;
    alive();
    await new Promise((resolve) => setTimeout(resolve, CHECK_EVERY_MS));
  }
}
