import type { EntityManager } from '@mikro-orm/postgresql';
import { ResourceAlert } from './entities/index.js';

/**
 * B4: one alert per (center, resource, day, kind). A repeat, or a twin arriving at the same
 * moment (it waits for the first one's commit on the unique key), gets the first alert back
 * with `created: false`, so its patients are not told twice.
 */
export async function insertAlertOnce(
  em: EntityManager,
  input: Pick<ResourceAlert, 'centerId' | 'resourceId' | 'day' | 'kind' | 'delayMinutes'>,
): Promise<{ alert: ResourceAlert; created: boolean }> {
  const row = Object.assign(new ResourceAlert(), input);
  const inserted = await em
    .createQueryBuilder(ResourceAlert)
    .insert(row)
    .onConflict(['center_id', 'resource_id', 'day', 'kind'])
    .ignore()
    .execute('run');
  const alert = await em.findOneOrFail(ResourceAlert, { centerId: input.centerId, resourceId: input.resourceId, day: input.day, kind: input.kind });
  return { alert, created: inserted.affectedRows === 1 };
}
