import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { startMailCatcher } from '../../src/dev/maildev.js';
import { freePort } from '../../src/dev/ports.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

interface CaughtMail {
  subject: string;
  to: { address: string }[];
  text?: string;
}

async function caught(apiUrl: string): Promise<CaughtMail[]> {
  const response = await fetch(`${apiUrl}/email`);
  expect(response.status).toBe(200);
  return (await response.json()) as CaughtMail[];
}

describe('local stack: the maildev mail catcher', () => {
  it('local-stack: catches a mail sent over SMTP, lists it in its REST API, and keeps it across a restart', async () => {
    const mailDirectory = mkdtempSync(join(tmpdir(), 'comms-maildev-'));
    dirs.push(mailDirectory);
    const ports = { smtpPort: await freePort(), webPort: await freePort() };
    let catcher = await startMailCatcher({ ...ports, mailDirectory });
    try {
      const transport = nodemailer.createTransport({ host: catcher.smtpHost, port: catcher.smtpPort, secure: false, ignoreTLS: true });
      await transport.sendMail({ from: 'clinic@example.test', to: 'patient@example.test', subject: 'Promemoria', text: 'A domani' });
      transport.close();
      await expect.poll(async () => (await caught(catcher.apiUrl)).map((m) => m.subject)).toEqual(['Promemoria']);
      const [mail] = await caught(catcher.apiUrl);
      expect(mail?.to[0]?.address).toBe('patient@example.test');
      // The web UI (a single-page app, served to browsers).
      const page = await fetch(catcher.webUrl, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
    } finally {
      await catcher.stop();
    }

    catcher = await startMailCatcher({ ...ports, mailDirectory });
    try {
      expect((await caught(catcher.apiUrl)).map((m) => m.subject)).toEqual(['Promemoria']);
    } finally {
      await catcher.stop();
    }
  });
});
