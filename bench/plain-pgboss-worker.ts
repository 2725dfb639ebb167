/**
 * The worker of bench/plain-pgboss.ts: what a Node team would build instead of the engine. It
 * polls the `plain-reminders` queue and sends each job's email over one pooled nodemailer
 * transport; nothing else (no rows, no credits, no checks).
 */
import nodemailer from 'nodemailer';
import PgBoss from 'pg-boss';
import { loadConfig } from '../src/config.js';

export interface PlainJob {
  messageId: string;
}

const config = loadConfig();
const workers = Number(process.env.PGBOSS_WORKERS ?? 4);
const batchSize = Number(process.env.PGBOSS_BATCH ?? 25);
const transport = nodemailer.createTransport({ pool: true, host: config.SMTP_HOST, port: config.SMTP_PORT, secure: false, maxConnections: 5 });
const boss = new PgBoss({ connectionString: config.DATABASE_URL, max: 4 });
boss.on('error', (error: Error) => console.error(`pg-boss error: ${error.name}`));
await boss.start();
await boss.createQueue('plain-reminders');
for (let i = 0; i < workers; i++) {
  await boss.work<PlainJob>('plain-reminders', { batchSize, pollingIntervalSeconds: 0.5 }, async (jobs) => {
    await Promise.all(
      jobs.map((job) =>
        transport.sendMail({
          from: config.DEFAULT_EMAIL_FROM,
          to: `${job.data.messageId}@example.com`,
          messageId: `<${job.data.messageId}@clinic.test>`,
          subject: 'Promemoria appuntamento',
          text: 'Gentile paziente, le ricordiamo il suo appuntamento di domani alle 10:00 presso Sede Centro.',
        }),
      ),
    );
  });
}
console.log(JSON.stringify({ msg: 'worker running', workers, batchSize }));

const stop = async () => {
  await boss.stop({ graceful: true, timeout: 10_000 });
  transport.close();
  process.exit(0);
};
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop());
