/**
 * The reminder burst shared by bench/reminder-burst.ts (Temporal) and bench/baseline-pgboss.ts
 * (pg-boss): M appointments spread over C centers, each with its own patient, all starting at
 * `dueAt + 15 min` with an email reminder 15 minutes ahead, so every reminder is due at `dueAt`.
 * The report reads the SMTP sink and the database the same way for both.
 */
import { EventSetting, Message } from '../src/db/entities/index.js';
import type { AppointmentSnapshot } from '../src/engine/port.js';
import { cpuMark, cpuPercent, createAppointments, createCenter, createPatients, sagaBreakdown, summarize, type CpuGroups, type Infra, type Log } from './support.js';

export const REMINDER_LEAD_MINUTES = 15;

/**
 * The worker settings of the project and of the floor in a burst: the workflow cache sized
 * against the appointments that wake together (WORKER_MAX_CACHED_WORKFLOWS, at least its default).
 */
export const burstWorkerEnv = (m: number) => ({ WORKER_MAX_CACHED_WORKFLOWS: String(Math.max(5000, m)) });

export interface Burst {
  centerIds: string[];
  snapshots: AppointmentSnapshot[];
  dueAt: Date;
}

export async function setUpBurst(infra: Infra, input: { m: number; centers: number; dueAt: Date; log: Log }): Promise<Burst> {
  const { m, centers, dueAt } = input;
  const startAt = new Date(dueAt.getTime() + REMINDER_LEAD_MINUTES * 60_000);
  const centerIds: string[] = [];
  const snapshots: AppointmentSnapshot[] = [];
  for (let c = 0; c < centers; c++) {
    const count = Math.floor(m / centers) + (c < m % centers ? 1 : 0);
    // One credit per email, so each debit really moves the balance (and locks the center row).
    const f = await createCenter(infra.orm, { name: `Bench burst ${c}`, credits: 2 * count + 10, center: { priceEmail: 1 } });
    centerIds.push(f.center.id);
    const em = infra.orm.em.fork();
    em.create(EventSetting, { centerId: f.center.id, eventKind: 'appointment.created', channels: [], options: {} });
    em.create(EventSetting, { centerId: f.center.id, eventKind: 'appointment.reminder', channels: ['email'], options: { leadMinutes: REMINDER_LEAD_MINUTES } });
    await em.flush();
    const patients = await createPatients(infra.orm, f.center.id, count, `burst${c}`);
    snapshots.push(...(await createAppointments(infra.orm, f, patients.map((patient) => ({ patient, startAt })), new Date())));
  }
  input.log(`${m} appointments in ${centers} center(s), every email reminder due at ${dueAt.toISOString()}`);
  return { centerIds, snapshots, dueAt };
}

/**
 * Waits until the sink holds `m` mails that arrived from `due` on (or `timeoutMs`), logging
 * progress every 5 s; returns whether they all came and the CPU % of each process tree meanwhile.
 */
export async function waitForBurstMails(infra: Infra, due: number, m: number, timeoutMs: number, log: Log, groups: CpuGroups) {
  const cpuFrom = cpuMark(groups);
  const cpuFromAt = Date.now();
  const before = infra.smtp.mails.filter((x) => x.at < due).length;
  let lastLog = 0;
  const complete = await infra.smtp.waitUntil((mails) => {
    if (Date.now() - lastLog > 5000 && Date.now() > due) {
      log(`  ${mails.length - before}/${m} reminder emails in the SMTP sink`);
      lastLog = Date.now();
    }
    return mails.length - before >= m;
  }, timeoutMs);
  /** % of one core per process tree from D until the last reminder reached the sink (200 = both cores). */
  const cpuDuringBurst = cpuPercent(cpuFrom, cpuMark(groups), (Date.now() - cpuFromAt) / 1000);
  return { complete, cpuDuringBurst };
}

/** Per expected Message-ID: arrived?, how often, lateness of the first arrival after `due`. */
export function mailCounts(infra: Infra, ids: ReadonlySet<string>, due: number) {
  const mails = infra.smtp.mails.filter((x) => x.messageId !== null && ids.has(x.messageId));
  const perMessage = new Map<string, number>();
  const firstMail = new Map<string, number>();
  for (const x of mails) {
    perMessage.set(x.messageId!, (perMessage.get(x.messageId!) ?? 0) + 1);
    if (!firstMail.has(x.messageId!)) firstMail.set(x.messageId!, x.at);
  }
  return {
    mailsReceived: mails.length,
    distinctMessages: perMessage.size,
    missing: ids.size - perMessage.size,
    sentTwice: [...perMessage.values()].filter((n) => n > 1).length,
    latenessMs: summarize([...firstMail.values()].map((at) => at - due)),
  };
}

/** Waits for M reminder mails (or `timeoutMs`), then: sent once?, lateness, where the time went. */
export async function burstReport(infra: Infra, burst: Burst, m: number, timeoutMs: number, log: Log, groups: CpuGroups) {
  const due = burst.dueAt.getTime();
  const { complete, cpuDuringBurst } = await waitForBurstMails(infra, due, m, timeoutMs, log, groups);
  // Rows turn `sent` a moment after the SMTP answer; let the stragglers land (and any duplicate show).
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const conn = infra.orm.em.fork().getConnection();
  const placeholders = burst.centerIds.map(() => '?').join(', ');
  const rows = await infra.orm.em
    .fork()
    .find(Message, { centerId: { $in: burst.centerIds }, eventKind: 'appointment.reminder' }, { fields: ['id', 'status'] });
  const [ledger] = await conn.execute<{ debits: number; messages: number }[]>(
    `select count(*)::int as debits, count(distinct message_id)::int as messages from credit_ledger where kind = 'debit' and center_id in (${placeholders})`,
    burst.centerIds,
  );
  // Made at or after D: not prepared ahead, so its workflow sends it, not the dispatcher (README "Reminder bursts").
  const [late] = await conn.execute<{ n: number }[]>(
    `select count(*)::int as n from messages where event_kind = 'appointment.reminder' and created_at >= due_at and center_id in (${placeholders})`,
    burst.centerIds,
  );
  const mails = mailCounts(infra, new Set(rows.map((r) => r.id)), due);
  const result = {
    complete,
    ...mails,
    // Reminders with no row at all are missing too (every appointment should have one).
    missing: m - mails.distinctMessages,
    messageRows: rows.length,
    rowsSent: rows.filter((r) => r.status === 'sent').length,
    debits: ledger?.debits ?? 0,
    debitedTwice: (ledger?.debits ?? 0) - (ledger?.messages ?? 0),
    preparedLate: late?.n ?? 0,
    cpuDuringBurst,
    sagaSteps: await sagaBreakdown(infra.orm, { centerIds: burst.centerIds, eventKind: 'appointment.reminder', sinceMs: 0 }, due),
  };
  log(
    `${result.distinctMessages}/${m} sent (${result.sentTwice} twice, ${result.debitedTwice} debited twice); lateness p50 ${result.latenessMs.p50} ms, ` +
      `p95 ${result.latenessMs.p95} ms, p99 ${result.latenessMs.p99} ms, max ${result.latenessMs.max} ms; prepared after D ${result.preparedLate}; CPU % ${JSON.stringify(cpuDuringBurst)}`,
  );
  return result;
}
