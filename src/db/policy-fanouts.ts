import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * X3: the settings fan-out's appointments and its progress row (`policy_fanouts`), one per
 * center and settings version. The console (#14) reads the row to say how many appointments a
 * change has re-planned.
 */

/** Finished appointments keep their workflow open this long for late reports (B3 post-visit). */
const STILL_OPEN_AFTER_END_MS = 30 * 24 * 3600_000;
/** The appointments whose workflow may still send something, and so must hear of a change. */
const OPEN = `center_id = ? and status in ('booked', 'confirmed', 'attended') and end_at >= ?`;

export async function openAppointmentIds(em: EntityManager, centerId: string, after: string, limit: number, now: Date): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>(`select id from appointments where ${OPEN} and id > ? order by id limit ?`, [
    centerId,
    new Date(now.getTime() - STILL_OPEN_AFTER_END_MS),
    after,
    limit,
  ]);
  return rows.map((r) => r.id);
}

/** Opens the version's progress row with the number of appointments to tell; a retried run keeps the row it made. */
export async function startFanoutProgress(em: EntityManager, centerId: string, settingsVersion: number, now: Date): Promise<void> {
  await em.execute(
    `insert into policy_fanouts (id, created_at, updated_at, center_id, settings_version, total, signalled)
     select gen_random_uuid(), now(), now(), ?, ?, count(*), 0 from appointments where ${OPEN}
     on conflict (center_id, settings_version) do nothing`,
    [centerId, settingsVersion, centerId, new Date(now.getTime() - STILL_OPEN_AFTER_END_MS)],
  );
}

export async function recordFanoutProgress(em: EntityManager, centerId: string, settingsVersion: number, signalled: number, finished: boolean): Promise<void> {
  await em.execute(
    `update policy_fanouts set signalled = ?, updated_at = now()${finished ? ', finished_at = now()' : ''} where center_id = ? and settings_version = ?`,
    [signalled, centerId, settingsVersion],
  );
}

export interface FanoutProgress {
  settingsVersion: number;
  /** waiting: committed, the outbox has not started the run yet. */
  state: 'waiting' | 'running' | 'done';
  total: number | null;
  signalled: number;
}

/** One version's progress, scoped by center (a stranger's center id finds nothing of another's). */
export async function fanoutProgress(em: EntityManager, centerId: string, settingsVersion: number): Promise<FanoutProgress> {
  const [row] = await em.execute<{ total: number; signalled: number; finished_at: Date | null }[]>(
    `select total, signalled, finished_at from policy_fanouts where center_id = ? and settings_version = ?`,
    [centerId, settingsVersion],
  );
  if (!row) return { settingsVersion, state: 'waiting', total: null, signalled: 0 };
  return { settingsVersion, state: row.finished_at ? 'done' : 'running', total: Number(row.total), signalled: Number(row.signalled) };
}

export async function settingsVersionOf(em: EntityManager, centerId: string): Promise<number> {
  const [row] = await em.execute<{ settings_version: number }[]>(`select settings_version from centers where id = ?`, [centerId]);
  return Number(row?.settings_version ?? 0);
}

/** A finished run's progress is kept this long (the console needs only the latest runs). */
export const FANOUT_PROGRESS_TTL_DAYS = 7;

/** Housekeeping: deletes the progress rows of runs finished more than FANOUT_PROGRESS_TTL_DAYS ago. */
export async function purgeOldFanoutProgress(em: EntityManager): Promise<number> {
  const rows = await em.execute<{ id: string }[]>(
    `delete from policy_fanouts where finished_at < now() - make_interval(days => ?) returning id`,
    [FANOUT_PROGRESS_TTL_DAYS],
  );
  return rows.length;
}
