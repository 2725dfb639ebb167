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

  describe('delivering a batch concurrently, in lanes', () => {
    /** A recording engine whose deliveries can be held, slowed or failed per appointment. */
    class GatedEngine extends RecordingEngine {
      held = new Map<string, Promise<void>>();
      entered = new Set<string>();
      failOnce = new Set<string>();
      maxDelayMs = 0;
      override async appointmentChanged(snapshot: AppointmentSnapshot) {
        await this.pause(snapshot.appointmentId);
        return super.appointmentChanged(snapshot);
      }
      override async appointmentCancelled(centerIdOf: string, appointmentId: string, eventId: string, reason?: 'booking' | 'erased') {
        await this.pause(appointmentId);
        return super.appointmentCancelled(centerIdOf, appointmentId, eventId, reason);
      }
      override async attendance(centerIdOf: string, appointmentId: string, attended: boolean, eventId: string) {
        await this.pause(appointmentId);
        return super.attendance(centerIdOf, appointmentId, attended, eventId);
      }
      private async pause(appointmentId: string) {
        this.entered.add(appointmentId);
        if (this.maxDelayMs) await new Promise((r) => setTimeout(r, Math.random() * this.maxDelayMs));
        await this.held.get(appointmentId);
        if (this.failOnce.delete(appointmentId)) throw new Error('temporal unreachable for this one');
      }
    }
    const appointmentIdsOf = (engine: RecordingEngine, method: string) =>
      engine.calls.filter((c) => c.method === method).map((c) => (method === 'appointmentChanged' ? (c.args[0] as AppointmentSnapshot).appointmentId : (c.args[1] as string)));

    it('a delivery Temporal does not answer holds back neither its batch nor the commands committed after it', async () => {
      const engine = new GatedEngine();
      const stuck = randomUUID();
      let release = () => {};
      engine.held.set(stuck, new Promise<void>((r) => (release = r)));
      const relay = createOutboxRelay({ orm: db.orm, engine, pollMs: 60_000, deliveryTimeoutMs: 60_000 });
      await relay.start();
      try {
        const sameBatch = [randomUUID(), randomUUID()];
        await commit([stuck, ...sameBatch].map((id) => ({ type: 'appointmentChanged', snapshot: snapshot(id), created: true })));
        await eventually(async () => engine.entered.has(stuck), Boolean, 5_000);
        const later = Array.from({ length: 5 }, () => randomUUID());
        for (const id of later) await commit([{ type: 'appointmentChanged', snapshot: snapshot(id), created: true }]);
        // Every other appointment reaches the engine while the stuck delivery still waits.
        const others = [...sameBatch, ...later].sort();
        expect(await eventually(async () => appointmentIdsOf(engine, 'appointmentChanged').sort(), (ids) => JSON.stringify(ids) === JSON.stringify(others), 5_000)).toEqual(others);
        // The later ones are settled (a moment after their delivery); the stuck one's batch is
        // settled with it, in one transaction.
        expect(await eventually(backlog, (b) => b.pending === 1 + sameBatch.length, 5_000)).toMatchObject({ pending: 1 + sameBatch.length });
        release();
        await eventually(async () => (await backlog()).pending, (n) => n === 0, 5_000);
        const delivered = appointmentIdsOf(engine, 'appointmentChanged');
        expect(delivered.sort()).toEqual([stuck, ...others].sort()); // each once
      } finally {
        release();
        await relay.stop();
      }
    });

    it('a command that fails in a batch is retried alone: the others are delivered once, not again', async () => {
      const engine = new GatedEngine();
      const ids = Array.from({ length: 6 }, () => randomUUID());
      engine.failOnce.add(ids[2]!);
      await commit(ids.map((id) => ({ type: 'appointmentChanged', snapshot: snapshot(id), created: true })));
      const relay = createOutboxRelay({ orm: db.orm, engine, listen: false });
      await relay.drain();
      expect(appointmentIdsOf(engine, 'appointmentChanged').sort()).toEqual(ids.filter((_, i) => i !== 2).sort());
      expect(await backlog()).toMatchObject({ pending: 1, failing: 1 });
      await new Promise((r) => setTimeout(r, 600)); // the first back-off
      await relay.drain();
      expect(appointmentIdsOf(engine, 'appointmentChanged').sort()).toEqual([...ids].sort());
      expect((await backlog()).pending).toBe(0);
    });

    it('with four lanes and deliveries of random duration, each appointment still hears start, attendance, cancellation in that order', async () => {
      const engine = new GatedEngine();
      engine.maxDelayMs = 15;
      const ids = Array.from({ length: 40 }, () => randomUUID());
      // Interleaved commits, as concurrent requests would make them.
      for (const step of ['start', 'attendance', 'cancel'] as const) {
        for (const id of ids) {
          await commit([
            step === 'start'
              ? { type: 'appointmentChanged', snapshot: snapshot(id), created: true }
              : step === 'attendance'
                ? { type: 'attendance', centerId, appointmentId: id, attended: true, eventId: `att:${id}` }
                : { type: 'appointmentCancelled', centerId, appointmentId: id, eventId: `cancel:${id}` },
          ]);
        }
      }
      const relay = createOutboxRelay({ orm: db.orm, engine, listen: false, batchSize: 8, lanes: 4 });
      await relay.drain();
      expect(engine.calls).toHaveLength(ids.length * 3);
      for (const id of ids) {
        const order = engine.calls.filter((c) => (c.method === 'appointmentChanged' ? (c.args[0] as AppointmentSnapshot).appointmentId : c.args[1]) === id).map((c) => c.method);
        expect(order).toEqual(['appointmentChanged', 'attendance', 'appointmentCancelled']);
      }
      expect((await backlog()).pending).toBe(0);
    });
  });
});
