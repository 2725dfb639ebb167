/**
 * X3 at size (#8): one settings change re-plans every open appointment of a center, outside the
 * request. One center, FANOUT_APPOINTMENTS open appointments (default 5000) booked through the
 * real API process (`src/server.ts`, HTTP) with the production worker planning them: email
 * reminders with a 1440-minute lead, all asleep. Then, in the same stack, three changes through
 * `PUT /v1/event-settings/appointment.reminder` (1440 → 120 → 180 → 240 minutes). For each:
 *
 *   request     the API's answer time (the change and its outbox row committed)
 *   fan-out     when `policy-{center}-v{version}` started and completed (Temporal's own times)
 *   last        when the last appointment showed its reminder at the new time
 *
 * "Last" comes from visibility: the workflow upserts `NextMessageAt` in the workflow task that
 * re-plans, and every start lies in [S, S + 50 min), so each lead puts all N reminders in a band
 * of its own (leads 60 min apart): the count in the new band reaching N, polled every FANOUT_POLL_MS,
 * is the moment the last one re-planned, and the old band's count must reach 0. FANOUT_SAMPLE
 * appointments (default 10; the one with the highest id, which the fan-out pages to last, and
 * random others) are watched through the `timeline` query at the same time. After the last
 * change, the timeline query of every one of the N appointments is checked: reminder planned at
 * start − 240 min, none left on an older plan.
 *
 *   npx tsx bench/settings-fanout.ts     FANOUT_APPOINTMENTS=5000 FANOUT_CONCURRENCY=16 FANOUT_SAMPLE=10
 *                                        FANOUT_CHANGES=3 FANOUT_ROUND_SECONDS=600 FANOUT_POLL_MS=250 FANOUT_SAMPLE_POLL_MS=250
 *
 * With BENCH_WORKER_CPU_PROF=<dir> the worker writes its CPU profiles (one per thread) there.
 */
import os from 'node:os';
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { join } from 'node:path';
import { createApiKey } from '../src/db/api-keys.js';
import { freePort } from '../src/dev/ports.js';
import type { TimelineEntry } from '../src/engine/port.js';
import { appointmentWorkflowId, policyFanoutWorkflowId, timelineQuery } from '../src/workflows/definitions.js';
import {
  createCenter,
  createLog,
  createPatients,
  envInt,
  finish,
  repoRoot,
  runPool,
  settledQuery,
  setEvent,
  sleep,
  startWorkerProcess,
  waitForCount,
  withInfra,
} from './support.js';

const NAME = 'settings-fanout';
const log = createLog(NAME);
const n = envInt('FANOUT_APPOINTMENTS', 5000);
const concurrency = envInt('FANOUT_CONCURRENCY', 16);
const sampleSize = Math.min(n, envInt('FANOUT_SAMPLE', 10));
/**
 * How often the visibility count (FANOUT_POLL_MS, default 250) and each sampled timeline
 * (FANOUT_SAMPLE_POLL_MS, default 250) are read. Both load the stack being measured: a count scans
 * the dev server's visibility rows (grows with N), a query is a workflow task on the worker.
 */
const pollMs = envInt('FANOUT_POLL_MS', 250);
const samplePollMs = envInt('FANOUT_SAMPLE_POLL_MS', 250);
/** The booking lead, then one measured change per later entry (FANOUT_CHANGES of them, at most 3). */
const LEADS: readonly [number, ...number[]] = [1440, ...[120, 180, 240].slice(0, envInt('FANOUT_CHANGES', 3))];
const MIN = 60_000;
/** Every start lies in [S, S + WINDOW): narrower than the 60 min between leads, so bands never touch. */
const WINDOW_MS = 50 * MIN;
/** How long one change is followed before the next (FANOUT_ROUND_SECONDS, default 600). */
const ROUND_TIMEOUT_MS = envInt('FANOUT_ROUND_SECONDS', 600) * 1000;

interface Round {
  change: string;
  settingsVersion: number;
  requestMs: number;
  /** ms after the request was sent (Temporal's start and close times of the fan-out run). */
  fanoutStartedMs: number | null;
  fanoutCompletedMs: number | null;
  fanoutSignalled: number | null;
  /** ms after the request was sent: every one of the N in the new band. */
  lastReplannedMs: number | null;
  sample: { watched: number; replanned: number; lastMs: number | null; lastInIdOrderMs: number | null };
  visibility: { inNewBand: number; inOldBand: number };
  /** From the histories of EVIDENCE_SIZE appointments spread over the fan-out's id order. */
  replanTasks: ReplanTasks;
  loadAverage1m: { atStart: number; atEnd: number };
}

interface Booked {
  id: string;
  startAt: number;
}

/** How many appointments' histories are read after each change (spread over the id order). */
const EVIDENCE_SIZE = 60;

/**
 * How the workflow task that re-planned after the policy signal ran, from the histories: on the
 * worker's sticky queue (the workflow was in its cache: no replay) or on the normal queue (not
 * cached: the whole history replayed), and whether a sticky task waited past its schedule-to-start
 * timeout (Temporal then moves it to the normal queue: a replay too, after the wait).
 */
interface ReplanTasks {
  read: number;
  stickyOnly: number;
  replayed: number;
  stickyTimeouts: number;
  /** signal → the re-planning workflow task completed, ms. */
  signalToDoneMs: { median: number; max: number } | null;
}

/** temporal.api.enums.v1 values (the proto package's CommonJS namespace does not import cleanly here). */
const TASK_QUEUE_KIND_STICKY = 2;
const TIMEOUT_TYPE_SCHEDULE_TO_START = 2;

async function replanTasks(client: Client, workflowIds: string[]): Promise<ReplanTasks> {
  const out: ReplanTasks = { read: 0, stickyOnly: 0, replayed: 0, stickyTimeouts: 0, signalToDoneMs: null };
  const waits: number[] = [];
  await runPool(workflowIds, 8, async (id) => {
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const at = events.findLastIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'policyChanged');
    if (at < 0) return;
    const ms = (e: (typeof events)[number]) => tsToMs(e.eventTime as Parameters<typeof tsToMs>[0]);
    let normal = false;
    let done: number | null = null;
    for (const e of events.slice(at + 1)) {
      const kind = e.workflowTaskScheduledEventAttributes?.taskQueue?.kind;
      if (kind !== undefined && kind !== null && kind !== TASK_QUEUE_KIND_STICKY) normal = true;
      if (e.workflowTaskTimedOutEventAttributes?.timeoutType === TIMEOUT_TYPE_SCHEDULE_TO_START) out.stickyTimeouts += 1;
      if (e.workflowTaskCompletedEventAttributes && done === null) done = ms(e) - ms(events[at]!);
    }
    out.read += 1;
    if (normal) out.replayed += 1;
    else out.stickyOnly += 1;
    if (done !== null) waits.push(done);
  });
  if (waits.length) out.signalToDoneMs = { median: median(waits), max: Math.max(...waits) };
  return out;
}

const loadNow = () => Number(os.loadavg()[0]!.toFixed(2));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
const spread = (values: number[]) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });

await withInfra(log, {}, async (infra) => {
  const f = await createCenter(infra.orm, { name: 'Bench settings fan-out', credits: 1000 });
  const centerId = f.center.id;
  await setEvent(infra.orm, centerId, 'appointment.created', []);
  await setEvent(infra.orm, centerId, 'appointment.reminder', ['email'], { leadMinutes: LEADS[0] });
  await createPatients(infra.orm, centerId, n, 'fan');
  const booking = (await createApiKey(infra.orm.em.fork(), { centerId, scope: 'booking', name: 'bench booking' })).key;
  const admin = (await createApiKey(infra.orm.em.fork(), { centerId, scope: 'admin', name: 'bench admin' })).key;

  const apiPort = await freePort();
  const worker = await startWorkerProcess(infra, log);
  const api = await startWorkerProcess(infra, log, {
    script: join(repoRoot, 'src', 'server.ts'),
    readyLog: 'API listening',
    // One booking system's key books all N: the default 50/s per key would be what is measured.
    env: { API_PORT: String(apiPort), API_RATE_LIMIT_PER_SECOND: '1000000', API_RATE_LIMIT_BURST: '1000000' },
  });
  const call = async (method: string, path: string, key: string, body: unknown) => {
    const res = await fetch(`http://127.0.0.1:${apiPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };

  try {
    // S: 5 days ahead at 13:00 UTC, so every lead's reminders fall on a working day, in the future.
    const day = new Date(Date.now() + 5 * 24 * 3600_000);
    const S = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 13);
    const startOf = (i: number) => S + Math.floor((i * WINDOW_MS) / n);

    log(`booking ${n} appointments through the API (HTTP, ${concurrency} in flight), reminder lead ${LEADS[0]} min`);
    const bookingStarted = performance.now();
    await runPool(
      Array.from({ length: n }, (_, i) => i),
      concurrency,
      async (i) => {
        const startAt = startOf(i);
        const res = await call('PUT', `/v1/appointments/fan-${i}`, booking, {
          revision: 1,
          patientId: `fan-p${i}`,
          resourceId: 'r-1',
          serviceId: 's-1',
          locationId: 'l-1',
          startAt: new Date(startAt).toISOString(),
          endAt: new Date(startAt + 30 * MIN).toISOString(),
        });
        if (res.status !== 201) throw new Error(`booking fan-${i}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
      },
      (done) => log(`  booked ${done}/${n} (load ${loadNow()})`),
      Math.max(100, Math.round(n / 10)),
    );
    const bookingSeconds = (performance.now() - bookingStarted) / 1000;
    log(`booked ${n} in ${bookingSeconds.toFixed(1)} s = ${(n / bookingSeconds).toFixed(1)}/s; waiting until every workflow planned and sleeps`);

    const band = (lead: number) =>
      `${settledQuery([centerId])} AND NextMessageAt >= '${new Date(S - lead * MIN).toISOString()}' AND NextMessageAt < '${new Date(S - lead * MIN + WINDOW_MS).toISOString()}'`;
    const inBand = async (lead: number) => (await infra.client.workflow.count(band(lead))).count;
    const asleep = await waitForCount(infra.client, band(LEADS[0]), n, 20 * MIN, log);
    const plannedSeconds = (performance.now() - bookingStarted) / 1000;
    log(`${asleep}/${n} planned (reminder at start − ${LEADS[0]} min) and asleep ${plannedSeconds.toFixed(1)} s after the first booking`);
    if (asleep < n) throw new Error(`only ${asleep}/${n} appointments planned; not measuring a change on a partial set`);

    const rows = await infra.orm.em
      .fork()
      .getConnection()
      .execute<{ id: string; start_at: Date }[]>(`select id, start_at from appointments where center_id = ? order by id`, [centerId]);
    const appointments: Booked[] = rows.map((r) => ({ id: r.id, startAt: new Date(r.start_at).getTime() }));
    /** The workflow's timeline, or null when the query timed out (it waits behind the workflow's queued signal). */
    const timelineOf = (a: Booked) =>
      infra.client.workflow
        .getHandle(appointmentWorkflowId(centerId, a.id))
        .query(timelineQuery)
        .catch(() => null);
    const plannedReminder = (entries: TimelineEntry[] | null) => entries?.find((e) => e.eventKind === 'appointment.reminder' && e.state === 'planned');

    /** The highest id (the fan-out's last page) and random others. */
    const pickSample = (): Booked[] => {
      const rest = appointments.slice(0, -1);
      const picked = [appointments[appointments.length - 1]!];
      while (picked.length < sampleSize && rest.length) picked.push(rest.splice(Math.floor(Math.random() * rest.length), 1)[0]!);
      return picked;
    };

    const rounds: Round[] = [];
    for (let r = 1; r < LEADS.length; r++) {
      const [from, to] = [LEADS[r - 1]!, LEADS[r]!];
      const sample = pickSample();
      const loadAtStart = loadNow();
      log(`change ${r}: reminder lead ${from} → ${to} min (load ${loadAtStart})`);
      const sentAt = Date.now();
      const t = performance.now();
      const res = await call('PUT', '/v1/event-settings/appointment.reminder', admin, { channels: ['email'], options: { leadMinutes: to } });
      const requestMs = performance.now() - t;
      if (res.status !== 200) throw new Error(`PUT event setting: HTTP ${res.status} ${res.text.slice(0, 300)}`);
      const [{ settings_version: version }] = (await infra.orm.em
        .fork()
        .getConnection()
        .execute(`select settings_version from centers where id = ?`, [centerId])) as [{ settings_version: number }];
      log(`  answered ${res.status} in ${requestMs.toFixed(0)} ms; settings version ${version}`);

      const fanout = infra.client.workflow.getHandle(policyFanoutWorkflowId(centerId, version));
      let fanoutStartedMs: number | null = null;
      let fanoutCompletedMs: number | null = null;
      let lastReplannedMs: number | null = null;
      const sampleMs = new Map<string, number>();
      let lastLog = 0;
      const deadline = Date.now() + ROUND_TIMEOUT_MS;
      let replanned = 0;
      // Watched on their own: a query waits behind the workflow's queued signal, which would
      // otherwise slow the visibility poll below and coarsen the time of the last re-plan.
      const watched = Promise.all(
        sample.map(async (a) => {
          const due = new Date(a.startAt - to * MIN).toISOString();
          while (Date.now() < deadline) {
            if (plannedReminder(await timelineOf(a))?.at === due) return void sampleMs.set(a.id, Date.now() - sentAt);
            await sleep(samplePollMs);
          }
        }),
      );
      while (Date.now() < deadline && (lastReplannedMs === null || fanoutCompletedMs === null)) {
        if (fanoutCompletedMs === null) {
          const described = await fanout.describe().catch(() => null); // not started yet: still in the outbox
          if (described) {
            fanoutStartedMs = described.startTime.getTime() - sentAt;
            if (described.status.name === 'COMPLETED') fanoutCompletedMs = described.closeTime!.getTime() - sentAt;
            else if (described.status.name !== 'RUNNING') throw new Error(`fan-out workflow ${described.status.name}`);
          }
        }
        if (lastReplannedMs === null) {
          replanned = await inBand(to);
          if (replanned >= n) lastReplannedMs = Date.now() - sentAt;
        }
        if (Date.now() - lastLog > 2000) {
          lastLog = Date.now();
          const state = fanoutCompletedMs !== null ? 'completed' : fanoutStartedMs !== null ? 'running' : 'not started';
          log(`  +${((Date.now() - sentAt) / 1000).toFixed(1)} s: fan-out ${state}; ${replanned}/${n} re-planned; sample ${sampleMs.size}/${sample.length} (load ${loadNow()})`);
        }
        await sleep(pollMs);
      }
      await watched;
      const [newBand, oldBand] = [await inBand(to), await inBand(from)];
      const { signalled } = fanoutCompletedMs !== null ? await fanout.result() : { signalled: null };
      const evidence = await replanTasks(
        infra.client,
        Array.from({ length: Math.min(n, EVIDENCE_SIZE) }, (_, i) => appointmentWorkflowId(centerId, appointments[Math.floor((i * (n - 1)) / Math.max(1, Math.min(n, EVIDENCE_SIZE) - 1))]!.id)),
      );
      const round: Round = {
        change: `${from} → ${to} min`,
        settingsVersion: version,
        requestMs: Math.round(requestMs),
        fanoutStartedMs,
        fanoutCompletedMs,
        fanoutSignalled: signalled,
        lastReplannedMs,
        sample: { watched: sample.length, replanned: sampleMs.size, lastMs: sampleMs.size ? Math.max(...sampleMs.values()) : null, lastInIdOrderMs: sampleMs.get(sample[0]!.id) ?? null },
        visibility: { inNewBand: newBand, inOldBand: oldBand },
        replanTasks: evidence,
        loadAverage1m: { atStart: loadAtStart, atEnd: loadNow() },
      };
      log(
        `  change ${r}: request ${round.requestMs} ms; fan-out started +${fanoutStartedMs} ms, completed +${fanoutCompletedMs} ms (${signalled} signalled); ` +
          `last of ${n} re-planned +${lastReplannedMs} ms; ${newBand} at the new time, ${oldBand} on the old plan; sample last +${round.sample.lastMs} ms; ` +
          `histories of ${evidence.read}: ${evidence.replayed} replayed (normal queue), ${evidence.stickyTimeouts} sticky timeouts, signal → re-planned ${JSON.stringify(evidence.signalToDoneMs)} ms`,
      );
      rounds.push(round);
    }

    const lead = LEADS[LEADS.length - 1]!;
    log(`checking the timeline of every one of the ${n} appointments (reminder at start − ${lead} min)`);
    // other: no planned reminder, or the query failed 3 times.
    const check = { checked: 0, replanned: 0, onAnOlderPlan: 0, other: 0 };
    await runPool(
      appointments,
      concurrency,
      async (a) => {
        let timeline = await timelineOf(a);
        for (let attempt = 1; timeline === null && attempt < 3; attempt++) timeline = await timelineOf(a);
        const at = plannedReminder(timeline)?.at;
        check.checked += 1;
        if (at === new Date(a.startAt - lead * MIN).toISOString()) check.replanned += 1;
        else if (LEADS.slice(0, -1).some((old) => at === new Date(a.startAt - old * MIN).toISOString())) check.onAnOlderPlan += 1;
        else check.other += 1;
      },
      (done) => log(`  checked ${done}/${n}`),
      1000,
    );
    log(`timeline check: ${check.replanned}/${check.checked} at the new time, ${check.onAnOlderPlan} on an older plan, ${check.other} other`);

    const of = (pick: (round: Round) => number | null) => {
      const values = rounds.map(pick).filter((v): v is number => v !== null);
      return values.length ? spread(values) : null;
    };
    finish(NAME, {
      params: {
        appointments: n,
        bookingConcurrency: concurrency,
        leadsMinutes: LEADS,
        via: 'HTTP to src/server.ts (its outbox relay) + src/worker.ts (its relay too)',
        channel: 'email',
        temporal: infra.temporal.store,
        workerCache: process.env.WORKER_MAX_CACHED_WORKFLOWS ?? 'config default',
        pollMs,
        samplePollMs,
      },
      results: {
        booking: { seconds: Number(bookingSeconds.toFixed(1)), perSecond: Number((n / bookingSeconds).toFixed(1)), allPlannedSeconds: Number(plannedSeconds.toFixed(1)) },
        rounds,
        medianOf3: {
          requestMs: of((x) => x.requestMs),
          fanoutCompletedMs: of((x) => x.fanoutCompletedMs),
          lastReplannedMs: of((x) => x.lastReplannedMs),
        },
        finalTimelineCheck: check,
        // What the worker's workflow cache costs: its process's resident memory at the end and at its peak.
        workerRssMiB: worker.memory.length
          ? { last: Math.round(worker.memory[worker.memory.length - 1]!.rss / 2 ** 20), peak: Math.round(Math.max(...worker.memory.map((m) => m.rss)) / 2 ** 20) }
          : null,
      },
      bars: {
        everyAppointmentReplanned: rounds.every((x) => x.visibility.inNewBand === n && x.visibility.inOldBand === 0) && check.replanned === n,
      },
    });
  } finally {
    await api.stop();
    await worker.stop();
  }
});
