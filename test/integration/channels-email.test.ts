import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/ports.js';
import { createEmailChannel, type EmailChannel } from '../../src/channels/email.js';
import { ChannelError, type OutgoingMessage } from '../../src/channels/types.js';
import { startSmtpCapture, type CapturedMail, type SmtpCapture } from '../support/smtp-capture.js';

let smtp: SmtpCapture;
let email: EmailChannel;

beforeAll(async () => {
  smtp = await startSmtpCapture();
  email = createEmailChannel({
    smtp: { host: smtp.host, port: smtp.port, secure: false },
    defaultFrom: { name: 'Clinic Platform', address: 'noreply@platform.test' },
  });
});

afterAll(async () => {
  await email.close();
  await smtp.stop();
});

afterEach(() => {
  smtp.failAlways(null);
});

function message(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    messageId: randomUUID(),
    centerId: randomUUID(),
    channel: 'email',
    to: 'mario.rossi@example.com',
    subject: 'Promemoria appuntamento',
    text: 'Gentile Mario,\nla aspettiamo lunedì alle 10:30.',
    locale: 'it',
    senders: {},
    ...overrides,
  };
}

function header(mail: CapturedMail, key: string): string | undefined {
  const line = mail.parsed.headerLines.find((h) => h.key === key)?.line;
  return line?.slice(line.indexOf(':') + 1).replace(/\r?\n\s+/g, ' ').trim();
}

async function sendAndCapture(msg: OutgoingMessage) {
  const before = smtp.mails.length;
  const result = await email.send(msg);
  const mail = await smtp.waitForMail(before + 1);
  return { result, mail };
}

async function sendError(msg: OutgoingMessage): Promise<ChannelError> {
  const error: unknown = await email.send(msg).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

describe('A3: email senders', () => {
  it("A3: From carries the center's name and address, Reply-To and a Message-ID built from our message id", async () => {
    const msg = message({
      senders: { emailFromName: 'Studio Medico Bianchi', emailFromAddress: 'info@studiobianchi.it', emailReplyTo: 'segreteria@studiobianchi.it' },
    });
    const { result, mail } = await sendAndCapture(msg);

    expect(mail.parsed.from?.value).toEqual([{ name: 'Studio Medico Bianchi', address: 'info@studiobianchi.it' }]);
    expect(mail.parsed.replyTo?.value).toEqual([{ name: '', address: 'segreteria@studiobianchi.it' }]);
    expect(mail.parsed.messageId).toBe(`<${msg.messageId}@platform.test>`);
    expect(mail.parsed.subject).toBe('Promemoria appuntamento');
    expect(mail.envelope.to).toEqual(['mario.rossi@example.com']);
    expect(result).toEqual({ providerId: `<${msg.messageId}@platform.test>`, segments: 1 });
  });

  it('A3: without center senders the platform default sender is used and no Reply-To is set', async () => {
    const { mail } = await sendAndCapture(message());
    expect(mail.parsed.from?.value).toEqual([{ name: 'Clinic Platform', address: 'noreply@platform.test' }]);
    expect(mail.parsed.replyTo).toBeUndefined();
  });

  it('A3: an invalid center From address is a permanent error naming the field, and nothing is sent', async () => {
    const before = smtp.mails.length;
    const error = await sendError(message({ senders: { emailFromAddress: 'not-an-address' } }));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('senders.emailFromAddress');
    expect(smtp.mails.length).toBe(before);
  });
});

describe('A4: email body', () => {
  it('A4: the mail has a text part and an HTML part; template text is escaped, never markup', async () => {
    const text = 'Caro <b>Mario</b> & famiglia,\nvisita "controllo" alle 10:30.\nInfo: https://studio.example.com/info?a=1&b=2';
    const { mail } = await sendAndCapture(message({ text }));

    expect(mail.parsed.text?.trim()).toBe(text);
    const html = String(mail.parsed.html);
    expect(html).toContain('Caro &lt;b&gt;Mario&lt;/b&gt; &amp; famiglia,<br>');
    expect(html).toContain('visita &quot;controllo&quot; alle 10:30.');
    expect(html).not.toContain('<b>Mario</b>');
    expect(html).toContain('<a href="https://studio.example.com/info?a=1&amp;b=2">');
  });
});

describe('X1: List-Unsubscribe', () => {
  it('X1: with an unsubscribe URL the mail carries List-Unsubscribe, one-click POST and a visible link', async () => {
    const unsubscribeUrl = 'https://comms.example.com/u/abc123?sig=xyz';
    const { mail } = await sendAndCapture(message({ unsubscribeUrl }));

    expect(header(mail, 'list-unsubscribe')).toBe(`<${unsubscribeUrl}>`);
    expect(header(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(String(mail.parsed.html)).toContain(`href="${unsubscribeUrl.replace('&', '&amp;')}"`);
    expect(mail.parsed.text).toContain(unsubscribeUrl);
  });

  it('X1: without an unsubscribe URL there is no List-Unsubscribe header', async () => {
    const { mail } = await sendAndCapture(message());
    expect(header(mail, 'list-unsubscribe')).toBeUndefined();
    expect(header(mail, 'list-unsubscribe-post')).toBeUndefined();
  });
});

describe('A4-read: open tracking pixel', () => {
  it('A4-read: a 1×1 pixel pointing at the tracking URL closes the HTML part', async () => {
    const trackingPixelUrl = 'https://comms.example.com/o/m-42.gif?sig=abc';
    const { mail } = await sendAndCapture(message({ trackingPixelUrl }));
    const html = String(mail.parsed.html);
    const img = `<img src="${trackingPixelUrl}" width="1" height="1" alt=""`;
    expect(html).toContain(img);
    expect(html.indexOf(img)).toBeGreaterThan(html.indexOf('la aspettiamo'));
    expect(mail.parsed.text).not.toContain(trackingPixelUrl);
  });

  it('A4-read: no pixel when the center does not track reads', async () => {
    const { mail } = await sendAndCapture(message());
    expect(String(mail.parsed.html)).not.toContain('<img');
  });
});

describe('B2-confirm: confirm / cancel links', () => {
  it('B2-confirm: the reminder shows a confirm and a cancel button, and the text part lists both links', async () => {
    const actionLinks = { confirmUrl: 'https://comms.example.com/a/tok1/confirm', cancelUrl: 'https://comms.example.com/a/tok1/cancel' };
    const { mail } = await sendAndCapture(message({ actionLinks }));
    const html = String(mail.parsed.html);
    expect(html).toMatch(/<a href="https:\/\/comms\.example\.com\/a\/tok1\/confirm"[^>]*>Confermo<\/a>/);
    expect(html).toMatch(/<a href="https:\/\/comms\.example\.com\/a\/tok1\/cancel"[^>]*>Disdico<\/a>/);
    expect(mail.parsed.text).toContain('Confermo: https://comms.example.com/a/tok1/confirm');
    expect(mail.parsed.text).toContain('Disdico: https://comms.example.com/a/tok1/cancel');
  });

  it('B2-confirm: English labels for an English recipient', async () => {
    const actionLinks = { confirmUrl: 'https://comms.example.com/a/t/confirm', cancelUrl: 'https://comms.example.com/a/t/cancel' };
    const { mail } = await sendAndCapture(message({ locale: 'en', text: 'See you Monday.', actionLinks }));
    expect(String(mail.parsed.html)).toMatch(/>Confirm<\/a>[\s\S]*>Cancel<\/a>/);
  });

  it('B2-confirm: a link that is not http(s) is refused before sending', async () => {
    const error = await sendError(message({ actionLinks: { confirmUrl: 'javascript:alert(1)', cancelUrl: 'https://x.example/c' } }));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('actionLinks.confirmUrl');
  });
});

describe('A3: SMTP failures are classified', () => {
  it('A3: a 451 on RCPT is a retryable ChannelError with the SMTP code, and the address is masked', async () => {
    smtp.failNext({ code: 451, stage: 'rcpt', message: 'Greylisted <mario.rossi@example.com>, try later' });
    const error = await sendError(message());
    expect(error.retryable).toBe(true);
    expect(error.code).toBe('451');
    expect(error.message).not.toContain('mario.rossi@example.com');
  });

  it('A3: a 550 on RCPT is a permanent ChannelError', async () => {
    smtp.failNext({ code: 550, stage: 'rcpt', message: 'No such user here' });
    const error = await sendError(message());
    expect(error.retryable).toBe(false);
    expect(error.code).toBe('550');
  });

  it('A3: a 452 after DATA is retryable, a 554 after DATA is permanent', async () => {
    smtp.failNext({ code: 452, stage: 'data' });
    expect((await sendError(message())).retryable).toBe(true);
    smtp.failNext({ code: 554, stage: 'data', message: 'Message rejected as spam' });
    const permanent = await sendError(message());
    expect(permanent.retryable).toBe(false);
    expect(permanent.code).toBe('554');
  });

  it('A3: the channel still delivers after a failure (pooled connection recovers)', async () => {
    smtp.failNext({ code: 451 });
    await sendError(message());
    const { mail } = await sendAndCapture(message({ subject: 'After the failure' }));
    expect(mail.parsed.subject).toBe('After the failure');
  });

  it('A3: an SMTP server that cannot be reached is a retryable error', async () => {
    const closedPort = await freePort();
    const unreachable = createEmailChannel({
      smtp: { host: '127.0.0.1', port: closedPort, secure: false },
      defaultFrom: { address: 'noreply@platform.test' },
    });
    try {
      const error: unknown = await unreachable.send(message()).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ChannelError);
      expect((error as ChannelError).retryable).toBe(true);
    } finally {
      await unreachable.close();
    }
  });

  it('A3: a missing subject is a permanent error naming the field', async () => {
    const error = await sendError(message({ subject: null }));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('subject');
  });
});
