/**
 * The pg-boss side of bench/baseline-pgboss.ts, in its own process like `src/worker.ts`: polls
 * the `reminders` queue and runs, for each job, the same activity functions the appointment
 * workflow runs at the due time (prepareMessages: rules, render, insert; debitCredits;
 * sendMessage over nodemailer), with the same dependencies and the same ORM pool (10).
 *
 * Tuning (env): PGBOSS_WORKERS work() loops (default 4) × PGBOSS_BATCH jobs each (default 25)
 * run concurrently = 100 in flight, like the Temporal worker's 100 activity slots; polling
 * every 0.5 s (pg-boss's minimum), immediately again while jobs keep coming.
 */
import PgBoss from 'pg-boss';
import pino from 'pino';
import { Client, Connection } from '@temporalio/client';
import { createActivities } from '../src/activities/index.js';
import { createChannels } from '../src/channels/index.js';
import { linkSigningKeys, loadConfig, messageSecretKeys } from '../src/config.js';
import { openOrm } from '../src/db/orm.js';
import { createSecretStash } from '../src/db/secret-stash.js';
import { createLinks } from '../src/links.js';

export interface ReminderJob {
  centerId: string;
  appointmentId: string;
  startAt: string;
  dueAt: string;
}

const config = loadConfig();
const workers = Number(process.env.PGBOSS_WORKERS ?? 4);
const batchSize = Number(process.env.PGBOSS_BATCH ?? 25);
const orm = await openOrm(config.DATABASE_URL);
// Only for the activities' type; reminders never start or signal workflows.
const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
const channels = createChannels({
  smtp: { host: config.SMTP_HOST, port: config.SMTP_PORT, secure: false, auth: null },
  defaultEmailFrom: { name: config.DEFAULT_EMAIL_FROM_NAME, address: config.DEFAULT_EMAIL_FROM },
  twilio: { accountSid: config.TWILIO_ACCOUNT_SID, authToken: config.TWILIO_AUTH_TOKEN, apiBaseUrl: config.TWILIO_API_BASE_URL },
  defaultSmsFrom: config.DEFAULT_SMS_FROM,
  defaultVoiceFrom: config.DEFAULT_VOICE_FROM,
});
const activities = createActivities({
  orm,
  channels,
  links: createLinks({ publicBaseUrl: config.PUBLIC_BASE_URL, secret: linkSigningKeys(config) }),
  secrets: createSecretStash({ orm, key: messageSecretKeys(config) }),
  temporal: new Client({ connection }),
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  logger: pino({ level: 'warn' }),
});

async function handle(job: ReminderJob): Promise<void> {
  const prepared = await activities.prepareMessages({
    centerId: job.centerId,
    appointmentId: job.appointmentId,
    eventKind: 'appointment.reminder',
    slot: `start:${job.startAt}`,
    dueAt: job.dueAt,
    recipient: 'patient',
  });
  for (const message of prepared) {
    if (message.status !== 'scheduled' && message.status !== 'sending') continue;
    const debit = await activities.debitCredits({ messageId: message.messageId });
    if (debit.ok) await activities.sendMessage({ messageId: message.messageId, channel: message.channel });
  }
}

const boss = new PgBoss({ connectionString: config.DATABASE_URL, max: 4 });
boss.on('error', (error: Error) => console.error(`pg-boss error: ${error.name}`));
await boss.start();
await boss.createQueue('reminders');
for (let i = 0; i < workers; i++) {
  await boss.work<ReminderJob>('reminders', { batchSize, pollingIntervalSeconds: 0.5 }, async (jobs) => {
    await Promise.all(jobs.map((job) => handle(job.data)));
  });
}
console.log(JSON.stringify({ msg: 'worker running', workers, batchSize }));

const stop = async () => {
  await boss.stop({ graceful: true, timeout: 10_000 });
  await channels.close();
  await connection.close();
  await orm.close();
  process.exit(0);
};
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop());
