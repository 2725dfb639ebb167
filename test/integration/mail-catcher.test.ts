import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { startMailCatcher } from '../../src/dev/mail-catcher.js';
import { freePort } from '../../src/dev/ports.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

interface CaughtMail {
  subject: string;
  to: { address: string }[];
  id: string;
  text: string;
}

async function caught(apiUrl: string): Promise<CaughtMail[]> {
  const response = await fetch(`${apiUrl}/email`);
  expect(response.status).toBe(200);
  return (await response.json()) as CaughtMail[];
}

describe('local stack: the mail catcher (smtp-server + mailparser)', () => {
  it('local-stack: catches a mail sent over SMTP, lists it as JSON (maildev\'s shape) and on its web page, keeps it across a restart, and clears it', async () => {
    const mailDirectory = mkdtempSync(join(tmpdir(), 'comms-mail-'));
    dirs.push(mailDirectory);
    const ports = { smtpPort: await freePort(), webPort: await freePort() };
    let catcher = await startMailCatcher({ ...ports, mailDirectory });
    try {
      const transport = nodemailer.createTransport({ host: catcher.smtpHost, port: catcher.smtpPort, secure: false, ignoreTLS: true });
      await transport.sendMail({ from: 'clinic@example.test', to: 'patient@example.test', subject: 'Promemoria <1>', text: 'A domani', html: '<p>A domani</p>' });
      transport.close();
      await expect.poll(async () => (await caught(catcher.apiUrl)).map((m) => m.subject)).toEqual(['Promemoria <1>']);
      const [mail] = await caught(catcher.apiUrl);
      expect(mail?.to[0]?.address).toBe('patient@example.test');
      expect(mail?.text.trim()).toBe('A domani');
      // The web page lists it (escaped) and links to the mail as the patient would see it, sandboxed.
      const page = await fetch(catcher.webUrl, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Promemoria &#60;1&#62;');
      expect(html).toContain('patient@example.test');
      const shown = await fetch(`${catcher.apiUrl}/email/${mail!.id}/html`);
      expect(shown.headers.get('content-security-policy')).toBe('sandbox');
      expect(await shown.text()).toContain('<p>A domani</p>');
    } finally {
      await catcher.stop();
    }

    catcher = await startMailCatcher({ ...ports, mailDirectory });
    try {
      expect((await caught(catcher.apiUrl)).map((m) => m.subject)).toEqual(['Promemoria <1>']);
      expect((await fetch(`${catcher.apiUrl}/email/all`, { method: 'DELETE' })).status).toBe(200);
      expect(await caught(catcher.apiUrl)).toEqual([]);
    } finally {
      await catcher.stop();
    }
  });
});
