import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { enqueueCommands, outboxBacklog } from '../../src/db/outbox.js';
import type { EngineCommand } from '../../src/engine/commands.js';
import { createOutboxRelay } from '../../src/engine/outbox-relay.js';
import type { AppointmentSnapshot } from '../../src/engine/port.js';
import { RecordingEngine } from '../support/api.js';
import { freshDatabase } from '../support/db.js';
import { eventually } from '../support/engine.js';

const hangingRelay = fileURLToPath(new URL('../support/processes/hanging-relay.ts', import.meta.url));

describe('outbox relay: commit first, then the engine (X3, X5)', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(() => db?.close());
  beforeEach(async () => {
    await db.orm.em.fork().execute('delete from engine_outbox');
  });

  const centerId = randomUUID();
  const snapshot = (appointmentId: string, revision = 1): AppointmentSnapshot => ({
    centerId, appointmentId, revision, patientId: randomUUID(), resourceId: null, serviceId: null, locationId: null,
    startAt: '2026-12-10T09:00:00.000Z', endAt: '2026-12-10T09:30:00.000Z', bookedAt: '2026-12-01T09:00:00.000Z', bookedOnline: false,
  });
  const commit = (commands: EngineCommand[]) => db.orm.em.fork().transactional((tx) => enqueueCommands(tx, commands));
  const backlog = () => outboxBacklog(db.orm.em.fork());

  it('a rolled-back change tells the engine nothing', async () => {
    const engine = new RecordingEngine();
    const relay = createOutboxRelay({ orm: db.orm, engine, listen: false });
    await expect(
      db.orm.em.fork().transactional(async (tx) => {
        await enqueueCommands(tx, [{ type: 'appointmentChanged', snapshot: snapshot(randomUUID()), created: true }]);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await relay.drain();
    expect(engine.calls).toEqual([]);
    expect((await backlog()).pending).toBe(0);
  });

  it('a relay killed between commit and delivery: its commands are delivered once by another relay', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await commit(ids.map((id) => ({ type: 'appointmentChanged', snapshot: snapshot(id), created: true })));
    // Node itself (not the tsx wrapper), so SIGKILL kills the process that holds the claim.
    const child = spawn(process.execPath, ['--import', 'tsx', hangingRelay, db.url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await eventually(async () => out, (o) => o.split('delivering').length - 1 === ids.length, 30_000);
    // It holds the commands (claimed, mid-delivery): another relay must not take them now.
    const engine = new RecordingEngine();
    const relay = createOutboxRelay({ orm: db.orm, engine, listen: false });
    await relay.drain();
    expect(engine.calls).toEqual([]);

    child.kill('SIGKILL');
    await once(child, 'exit');
    // PostgreSQL ends the dead relay's transaction: its claim is released, nothing was deleted.
    await eventually(async () => { await relay.drain(); return engine.calls.length; }, (n) => n === ids.length);
    expect(engine.callsOf('appointmentChanged').map(([s]) => (s as AppointmentSnapshot).appointmentId).sort()).toEqual([...ids].sort());
    await relay.drain();
    expect(engine.calls).toHaveLength(ids.length);
    expect((await backlog()).pending).toBe(0);
  });

  it('one appointment’s commands arrive in order: a cancellation never overtakes the start it cancels, even across a failed delivery', async () => {
    const id = randomUUID();
    await commit([{ type: 'appointmentChanged', snapshot: snapshot(id), created: true }]);
    await commit([{ type: 'appointmentCancelled', centerId, appointmentId: id, eventId: `cancel:${id}` }]);
    const engine = new RecordingEngine();
    engine.failNext = new Error('temporal unreachable');
    const relay = createOutboxRelay({ orm: db.orm, engine, listen: false });
    await relay.drain();
    expect(engine.calls).toEqual([]); // the start failed, so the cancellation waits behind it
    expect(await backlog()).toMatchObject({ pending: 2, failing: 1 });
    await new Promise((r) => setTimeout(r, 600)); // the first back-off
    await relay.drain();
    expect(engine.calls.map((c) => c.method)).toEqual(['appointmentChanged', 'appointmentCancelled']);
    expect((await backlog()).pending).toBe(0);
  });

  it('three relays draining 300 commands at once deliver each exactly once', async () => {
    const ids = Array.from({ length: 300 }, () => randomUUID());
    for (let i = 0; i < ids.length; i += 50) {
      await commit(ids.slice(i, i + 50).map((id) => ({ type: 'appointmentChanged', snapshot: snapshot(id), created: true })));
    }
    const engines = [new RecordingEngine(), new RecordingEngine(), new RecordingEngine()];
    const relays = engines.map((engine) => createOutboxRelay({ orm: db.orm, engine, listen: false, batchSize: 16 }));
    await Promise.all(relays.map((r) => r.drain()));
    const delivered = engines.flatMap((e) => e.callsOf('appointmentChanged').map(([s]) => (s as AppointmentSnapshot).appointmentId));
    expect(delivered).toHaveLength(ids.length);
    expect(new Set(delivered).size).toBe(ids.length);
    expect(engines.filter((e) => e.calls.length > 0).length).toBeGreaterThan(1); // the work was shared
  });

  it('a started relay is woken by the commit itself (LISTEN/NOTIFY), not by its poll', async () => {
    const engine = new RecordingEngine();
    const relay = createOutboxRelay({ orm: db.orm, engine, pollMs: 60_000 });
    await relay.start();
    try {
      const id = randomUUID();
      await commit([{ type: 'appointmentChanged', snapshot: snapshot(id), created: true }]);
      const calls = await eventually(async () => engine.calls.length, (n) => n === 1, 5_000);
      expect(calls).toBe(1);
    } finally {
      await relay.stop();
    }
  });
});
