import type { EntityManager } from '@mikro-orm/postgresql';
import type { Channel, EventKind } from '../domain/events.js';
import { defaultChannels, parseEventOptions, type EventOptions } from '../domain/policy.js';
import { EventSetting } from './entities/index.js';

export interface EffectiveEventSetting<K extends EventKind> {
  channels: Channel[];
  options: EventOptions<K>;
  /** False when no row exists and the built-in defaults apply. */
  custom: boolean;
}

/** A center's setting for one event kind, with defaults where it never set one (A2, B). */
export async function loadEventSetting<K extends EventKind>(em: EntityManager, centerId: string, eventKind: K): Promise<EffectiveEventSetting<K>> {
  const row = await em.findOne(EventSetting, { centerId, eventKind });
  return toEffective(eventKind, row);
}

export async function loadEventSettings(em: EntityManager, centerId: string, kinds: readonly EventKind[]) {
  const rows = await em.find(EventSetting, { centerId, eventKind: { $in: [...kinds] } });
  const byKind = new Map(rows.map((r) => [r.eventKind, r]));
  return <K extends EventKind>(kind: K) => toEffective(kind, byKind.get(kind) ?? null);
}

function toEffective<K extends EventKind>(eventKind: K, row: EventSetting | null): EffectiveEventSetting<K> {
  return {
    channels: row ? [...row.channels] : defaultChannels(eventKind),
    options: parseEventOptions(eventKind, row?.options ?? {}),
    custom: row !== null,
  };
}
