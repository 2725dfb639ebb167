/**
 * SMS bar: under a per-sender limit (PHONE_MESSAGES_PER_SECOND, here SMS_RATE = 10/s) the
 * achieved rate is ≥ 95 % of the limit and never above it, and the nearest appointments go first.
 *
 * SMS_N appointments (default 300), each with its own patient, start 20 minutes after an
 * instant W, 10 s apart, and are booked in random order. Their SMS reminders (lead 24 hours)
 * are due before W, but the center's sending hours open only at W (B2-hours), so all of them
 * become due at W together. The production worker runs with PHONE_MESSAGES_PER_SECOND =
 * SMS_RATE. Measured from the Twilio test server's request times: the largest number of sends
 * in any 1-second window, the average rate from first to last send, and Spearman's rank
 * correlation between send order and appointment start (1 = nearest first, 0 = no order).
 *
 * With BENCH_WORKERS=2 two worker processes share the one limit (X9: the pace is per sender
 * across workers, src/db/sender-paces.ts).
 *
 *   npx tsx bench/sms-rate.ts        SMS_N=300 SMS_RATE=10
 *   BENCH_TEMPORAL_DB=cluster BENCH_WORKERS=2 npx tsx bench/sms-rate.ts   real Temporal server, 2 workers
 */
import { DateTime } from 'luxon';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { Message } from '../src/db/entities/index.js';
import { tightestSpan, windowCounts } from '../src/domain/rate-window.js';
import { appointmentWorkflowId } from '../src/workflows/definitions.js';
import {
  benchWorkers,
  bookAll,
  createAppointments,
  createCenter,
  createLog,
  createPatients,
  envInt,
  finish,
  settledQuery,
  setEvent,
  sleep,
  spearman,
  resultSuffix,
  startWorkerProcess,
  summarize,
  waitForCount,
  withInfra,
} from './support.js';

const NAME = `sms-rate${resultSuffix()}`;
const log = createLog(NAME);
const n = envInt('SMS_N', 300);
const rate = envInt('SMS_RATE', 10);
/** Seconds from now to W: room to book and plan every appointment first. */
const leadSeconds = envInt('SMS_SETUP_SECONDS', 60 + Math.ceil(n * 0.15));
/** Worker processes sharing the one per-sender limit (X9). */
const workers = benchWorkers;

await withInfra(log, {}, async (infra) => {
  const f = await createCenter(infra.orm, { name: 'Bench SMS', credits: 1_000_000 });
  const centerId = f.center.id;
  const zone = f.center.timeZone;
  // W: a whole local minute (sending hours are HH:MM), leadSeconds or more from now.
  const windowOpens = DateTime.now().setZone(zone).plus({ seconds: leadSeconds }).startOf('minute').plus({ minutes: 1 });
  const window = { from: windowOpens.toFormat('HH:mm'), to: windowOpens.plus({ hours: 3 }).toFormat('HH:mm') };
  const sendingHours = Object.fromEntries(['1', '2', '3', '4', '5', '6', '7'].map((d) => [d, [window]]));
  await setEvent(infra.orm, centerId, 'appointment.created', []);
  await setEvent(infra.orm, centerId, 'appointment.reminder', ['sms'], { leadMinutes: 24 * 60, sendingHours });
  const patients = await createPatients(infra.orm, centerId, n, 'sms');
  const firstStart = windowOpens.plus({ minutes: 20 });
  const snapshots = await createAppointments(
    infra.orm,
    f,
    patients.map((patient, i) => ({ patient, startAt: firstStart.plus({ seconds: 10 * i }).toJSDate(), durationMin: 10 })),
    new Date(),
  );
  const startOfMobile = new Map(patients.map((p, i) => [p.mobile!, snapshots[i]!.startAt]));
  // Booking order must not hint at the start order.
  for (let i = snapshots.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [snapshots[i], snapshots[j]] = [snapshots[j]!, snapshots[i]!];
  }
  log(`${n} SMS reminders held by sending hours until ${windowOpens.toISO()} (${window.from}–${window.to} ${zone}); limit ${rate}/s; ${workers} worker(s)`);

  const started = await Promise.all(Array.from({ length: workers }, () => startWorkerProcess(infra, log, { phoneMessagesPerSecond: rate })));
  try {
    const booking = await bookAll(infra.engine, snapshots, 16, log);
    log(`booked in ${booking.seconds.toFixed(1)} s`);
    await waitForCount(infra.client, settledQuery([centerId]), n, Math.max(10_000, windowOpens.toMillis() - Date.now() - 2000), log);
    const setupOverran = Date.now() > windowOpens.toMillis();
    if (setupOverran) log('WARNING: setup ran past W; raise SMS_SETUP_SECONDS');
    log(`waiting ${Math.round((windowOpens.toMillis() - Date.now()) / 1000)} s for the window to open`);

    const sends = () => infra.twilio.received.filter((r) => r.resource === 'message' && r.answeredStatus === 201);
    const expectedSeconds = n / rate;
    const deadline = windowOpens.toMillis() + (expectedSeconds * 2 + 60) * 1000;
    let lastLog = 0;
    while (sends().length < n && Date.now() < deadline) {
      if (Date.now() - lastLog > 5000 && Date.now() > windowOpens.toMillis()) {
        log(`  ${sends().length}/${n} SMS sent`);
        lastLog = Date.now();
      }
      await sleep(250);
    }
    const sent = sends().sort((a, b) => a.at.getTime() - b.at.getTime());
    const times = sent.map((r) => r.at.getTime());
    const w0 = windowOpens.toMillis();

    // The provider's count (src/domain/rate-window.ts, shared with the cluster bench).
    const { max: maxInWindow, over: windowsOverLimit } = windowCounts(times, 1000, rate);
    const limitPlusOneSpan = tightestSpan(times, rate + 1);
    const spanSeconds = times.length > 1 ? (times[times.length - 1]! - times[0]!) / 1000 : 0;
    const averageRate = spanSeconds > 0 ? (times.length - 1) / spanSeconds : 0;
    const starts = sent.map((r) => Date.parse(startOfMobile.get(r.params.To ?? '') ?? ''));
    const correlation = spearman(
      sent.map((_, i) => i),
      starts,
    );
    // Of the 10 % nearest appointments, how many were in the first 10 % of sends.
    const tenth = Math.max(1, Math.floor(n / 10));
    const nearest = new Set([...startOfMobile.entries()].sort((a, b) => Date.parse(a[1]) - Date.parse(b[1])).slice(0, tenth).map(([m]) => m));
    const nearestFirst = sent.slice(0, tenth).filter((r) => nearest.has(r.params.To ?? '')).length;

    // A workflow whose SMS never went: what its pending activity says (attempt, last failure).
    const sentTo = new Set(sent.map((r) => r.params.To ?? ''));
    const unsent = snapshots.filter((snap) => !sentTo.has(patients.find((p) => p.id === snap.patientId)?.mobile ?? ''));
    const stuckSample = await Promise.all(
      unsent.slice(0, 3).map(async (snap) => {
        const d = await infra.client.workflow.getHandle(appointmentWorkflowId(centerId, snap.appointmentId)).describe();
        return (d.raw.pendingActivities ?? []).map((a) => ({
          activity: a.activityType?.name,
          state: a.state,
          attempt: a.attempt,
          lastFailure: a.lastFailure?.message ?? null,
          scheduledAgoMs: a.scheduledTime ? Date.now() - tsToMs(a.scheduledTime) : null,
          lastStartedAgoMs: a.lastStartedTime ? Date.now() - tsToMs(a.lastStartedTime) : null,
        }));
      }),
    );
    const phoneQueue = await infra.client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: `${infra.taskQueue}-phone`, kind: 1 },
      taskQueueType: 2,
      reportStats: true,
    });
    await sleep(1000);
    const rows = await infra.orm.em.fork().find(Message, { centerId, eventKind: 'appointment.reminder' }, { fields: ['id', 'status', 'recipientAddress'] });
    const perNumber = new Map<string, number>();
    for (const r of sent) perNumber.set(r.params.To ?? '', (perNumber.get(r.params.To ?? '') ?? 0) + 1);

    const countBy = <T>(items: T[], key: (t: T) => string) => items.reduce<Record<string, number>>((acc, t) => ((acc[key(t)] = (acc[key(t)] ?? 0) + 1), acc), {});
    const events = await infra.orm.em
      .fork()
      .getConnection()
      .execute<{ status: string; detail: string | null; n: number }[]>(
        `select e.status, e.detail, count(*)::int as n from message_events e join messages m on m.id = e.message_id where m.center_id = ? group by 1, 2 order by 3 desc`,
        [centerId],
      );
    const results = {
      smsSent: sent.length,
      rowStatuses: countBy(rows, (r) => r.status),
      twilioAnswers: countBy(
        infra.twilio.received.filter((r) => r.resource === 'message'),
        (r) => String(r.answeredStatus),
      ),
      messageEvents: events.map((e) => ({ status: e.status, detail: e.detail?.slice(0, 120) ?? null, count: e.n })),
      rowsSent: rows.filter((r) => r.status === 'sent').length,
      duplicates: [...perNumber.values()].filter((c) => c > 1).length,
      firstSendAfterWindowMs: times.length ? times[0]! - w0 : null,
      lastSendAfterWindowMs: times.length ? times[times.length - 1]! - w0 : null,
      idealSeconds: Number(((n - 1) / rate).toFixed(1)),
      maxInAnyOneSecond: maxInWindow,
      windowsOverLimit,
      /** The shortest span of limit + 1 consecutive sends, and its excess over 1 s: the margin left to an (limit+1)-th send in one second. */
      tightestSpanOfLimitPlusOneMs: limitPlusOneSpan,
      marginToViolationMs: limitPlusOneSpan === null ? null : limitPlusOneSpan - 1000,
      averagePerSecond: Number(averageRate.toFixed(2)),
      averageToLimit: Number((averageRate / rate).toFixed(3)),
      sendOrderVsStartSpearman: correlation === null ? null : Number(correlation.toFixed(3)),
      nearestTenthSentInFirstTenth: `${nearestFirst}/${tenth}`,
      gapBetweenSendsMs: summarize(times.slice(1).map((t, i) => t - times[i]!)),
      booking: { seconds: Number(booking.seconds.toFixed(1)) },
      setupOverran,
      unsent: unsent.length,
      stuckSample,
      phoneQueueStats: phoneQueue.stats ?? null,
    };
    log(
      `${sent.length}/${n} sent; max ${maxInWindow} in 1 s (limit ${rate}; ${rate + 1} sends spanned ≥ ${limitPlusOneSpan} ms); average ${results.averagePerSecond}/s = ${Math.round(results.averageToLimit * 100)} %; ` +
        `order vs start ρ = ${results.sendOrderVsStartSpearman}`,
    );
    finish(NAME, {
      params: { n, limitPerSecond: rate, temporal: infra.temporal.store, workers: benchWorkers, reminderLeadMinutes: 24 * 60, appointmentSpacingSeconds: 10, bookingOrder: 'random' },
      results,
      bars: {
        neverAboveLimit: maxInWindow <= rate,
        averageAtLeast95Percent: averageRate >= 0.95 * rate,
        nearestFirst: correlation !== null && correlation >= 0.9,
        allSentOnce: sent.length === n && results.duplicates === 0,
      },
      notes: ['nearestFirst counts as met at Spearman ρ ≥ 0.9 (send order follows appointment start).'],
    });
  } finally {
    await Promise.all(started.map((w) => w.stop()));
  }
});
