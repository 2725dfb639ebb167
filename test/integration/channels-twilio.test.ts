import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createChannels, type Channels } from '../../src/channels/index.js';
import { sanitizeProviderText } from '../../src/channels/provider-errors.js';
import { isValidSmsSenderId } from '../../src/channels/sms.js';
import { createTwilioClient } from '../../src/channels/twilio-client.js';
import { signTwilioRequest, verifyTwilioSignature } from '../../src/channels/twilio-signature.js';
import { ChannelError, type OutgoingMessage } from '../../src/channels/types.js';
import { buildVoiceTwiml } from '../../src/channels/voice.js';
import { startTwilioTestServer, type TwilioTestServer } from '../../src/dev/twilio-server.js';
import { advanceStatus, mapTwilioCallStatus, mapTwilioMessageStatus } from '../../src/domain/delivery-status.js';
import type { MessageStatus } from '../../src/domain/events.js';
import { freePort } from '../../src/dev/ports.js';

const accountSid = `AC${randomBytes(16).toString('hex')}`;
const authToken = randomBytes(16).toString('hex');
const PATIENT = '+393331234567';

/** A webhook receiver standing in for our API: records what Twilio posts to it. */
interface Hook {
  pathAndQuery: string;
  params: Record<string, string>;
  signature: string | undefined;
}
let receiver: Server;
let receiverUrl: string;
const hooks: Hook[] = [];

let twilio: TwilioTestServer;
let channels: Channels;

function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(body))));
    req.on('error', reject);
  });
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    void readForm(req).then((params) => {
      const signature = req.headers['x-twilio-signature'];
      hooks.push({ pathAndQuery: req.url ?? '/', params, signature: typeof signature === 'string' ? signature : undefined });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  twilio = await startTwilioTestServer({ accountSid, authToken, statusCallbackDelayMs: 5 });
  channels = createChannels({
    smtp: { host: '127.0.0.1', port: 2525, secure: false },
    defaultEmailFrom: { address: 'noreply@platform.test' },
    twilio: { accountSid, authToken, apiBaseUrl: twilio.url, timeoutMs: 1_000 },
    defaultSmsFrom: '+15005550006',
    defaultVoiceFrom: '+15005550006',
  });
});

afterAll(async () => {
  await channels.close();
  await twilio.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

beforeEach(() => {
  hooks.length = 0;
});

function sms(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    messageId: randomUUID(),
    centerId: randomUUID(),
    channel: 'sms',
    to: PATIENT,
    text: 'Promemoria: visita lunedì 3/6 alle 10:30. Studio Bianchi',
    locale: 'it',
    senders: {},
    ...overrides,
  };
}

function voice(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return sms({ channel: 'voice', text: 'Le ricordiamo la visita di lunedì alle dieci e trenta.', ...overrides });
}

async function failure(promise: Promise<unknown>): Promise<ChannelError> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

function lastRequest() {
  const last = twilio.received.at(-1);
  if (!last) throw new Error('no request reached the Twilio test server');
  return last;
}

describe('A3: SMS sender', () => {
  it("A3: the center's alphanumeric sender ID is the From of the SMS sent through the real SDK", async () => {
    const result = await channels.sms.send(sms({ senders: { smsSenderId: 'StudioRossi' } }));
    const request = lastRequest();
    expect(request.path).toBe(`/2010-04-01/Accounts/${accountSid}/Messages.json`);
    expect(request.authorized).toBe(true);
    expect(request.params).toMatchObject({ From: 'StudioRossi', To: PATIENT, Body: sms().text });
    expect(result.providerId).toMatch(/^SM[0-9a-f]{32}$/);
  });

  it('A3: a center sender number works too; without one the platform default number is used', async () => {
    await channels.sms.send(sms({ senders: { smsSenderId: '+390612345678' } }));
    expect(lastRequest().params.From).toBe('+390612345678');
    await channels.sms.send(sms());
    expect(lastRequest().params.From).toBe('+15005550006');
  });

  it('A3: an invalid sender ID is a permanent error naming the field, and nothing reaches Twilio', async () => {
    const before = twilio.received.length;
    const error = await failure(channels.sms.send(sms({ senders: { smsSenderId: 'StudioMedicoRossi' } })));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('senders.smsSenderId');
    expect(twilio.received.length).toBe(before);
  });

  it('A3: sender ID rules: ≤ 11 letters/digits/spaces with a letter, or an E.164 number', () => {
    expect(isValidSmsSenderId('StudioRossi')).toBe(true);
    expect(isValidSmsSenderId('Dr Bianchi')).toBe(true);
    expect(isValidSmsSenderId('+393331234567')).toBe(true);
    expect(isValidSmsSenderId('StudioMedico1')).toBe(false); // 13 chars
    expect(isValidSmsSenderId('12345')).toBe(false); // no letter, not E.164
    expect(isValidSmsSenderId('Studio-Ros')).toBe(false);
    expect(isValidSmsSenderId('')).toBe(false);
  });
});

describe('F1: SMS segments at send time', () => {
  it('F1: a short GSM-7 text is one segment', async () => {
    expect((await channels.sms.send(sms({ text: 'Visita confermata. A presto!' }))).segments).toBe(1);
  });

  it('F1: 161 GSM-7 characters are two segments (153 per part)', async () => {
    const result = await channels.sms.send(sms({ text: 'a'.repeat(161) }));
    expect(result.segments).toBe(2);
    expect(twilio.messages.at(-1)?.numSegments).toBe(2);
  });

  it('F1: a character outside GSM-7 switches to UCS-2: 71 characters are two segments', async () => {
    const text = `Sì, ç ${'x'.repeat(65)}`; // ç is not GSM-7
    expect(text.length).toBe(71);
    expect((await channels.sms.send(sms({ text }))).segments).toBe(2);
    expect((await channels.sms.send(sms({ text: 'Grazie 😊' }))).segments).toBe(1);
  });
});

describe('A3: Twilio failures are classified', () => {
  it('A3: HTTP 500, 503 and 429 are retryable', async () => {
    for (const status of [500, 503, 429] as const) {
      twilio.failNext({ status });
      const error = await failure(channels.sms.send(sms()));
      expect(error.retryable, `HTTP ${status}`).toBe(true);
    }
  });

  it('A3: 21211 (invalid number) is permanent, with the code kept and the number masked', async () => {
    twilio.failNext({ status: 400, code: 21211, message: `The 'To' number ${PATIENT} is not a valid phone number.` });
    const error = await failure(channels.sms.send(sms()));
    expect(error.retryable).toBe(false);
    expect(error.code).toBe('21211');
    expect(error.message).not.toContain('3331234567');
  });

  it('X1: a number that replied STOP is refused by Twilio with 21610, a permanent error; START lets SMS through again', async () => {
    const optedOut = '+393339876543';
    const reply = await twilio.simulateInboundSms({ url: `${receiverUrl}/webhooks/twilio/sms`, from: optedOut, to: '+15005550006', body: 'STOP' });
    expect(reply.status).toBe(204);
    const error = await failure(channels.sms.send(sms({ to: optedOut })));
    expect(error.retryable).toBe(false);
    expect(error.code).toBe('21610');

    await twilio.simulateInboundSms({ url: `${receiverUrl}/webhooks/twilio/sms`, from: optedOut, to: '+15005550006', body: 'START' });
    await expect(channels.sms.send(sms({ to: optedOut }))).resolves.toMatchObject({ segments: 1 });
  });

  it('A3: a number Twilio finds invalid is rejected with 21211 by the test server itself', async () => {
    const error = await failure(channels.sms.send(sms({ to: '3331234567' })));
    expect(error.code).toBe('21211');
    expect(error.retryable).toBe(false);
  });

  it('A3: no answer within the client timeout is retryable', async () => {
    twilio.failNext({ timeoutMs: 5_000 });
    const started = Date.now();
    const error = await failure(channels.sms.send(sms()));
    expect(error.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('A3: Twilio unreachable is retryable', async () => {
    const closedPort = await freePort();
    const offline = createChannels({
      smtp: { host: '127.0.0.1', port: 2525, secure: false },
      defaultEmailFrom: { address: 'noreply@platform.test' },
      twilio: { client: createTwilioClient({ accountSid, authToken, apiBaseUrl: `http://127.0.0.1:${closedPort}`, timeoutMs: 1_000 }) },
      defaultSmsFrom: '+15005550006',
      defaultVoiceFrom: '+15005550006',
    });
    const error = await failure(offline.sms.send(sms()));
    expect(error.retryable).toBe(true);
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('A3: wrong credentials get a Twilio-shaped 401 (code 20003), a permanent error', async () => {
    const wrong = createTwilioClient({ accountSid, authToken: 'not-the-token', apiBaseUrl: twilio.url, timeoutMs: 1_000 });
    const error: unknown = await wrong.messages.create({ to: PATIENT, from: '+15005550006', body: 'x' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ status: 401, code: 20003 });
  });

  it('A3: provider text is stored without phone numbers or email addresses', () => {
    expect(sanitizeProviderText('To +39 333 123 4567 or mario.rossi@example.com failed (code 21211)')).toBe(
      'To <phone> or <email> failed (code 21211)',
    );
  });
});

describe('A3 B2-confirm: voice calls', () => {
  it('A3: the call speaks the text with an Italian voice from the center caller number, said twice', async () => {
    const result = await channels.voice.send(voice({ senders: { voiceCallerNumber: '+390612345678' } }));
    expect(result.providerId).toMatch(/^CA[0-9a-f]{32}$/);
    const call = twilio.calls.at(-1);
    expect(call?.from).toBe('+390612345678');
    expect(call?.to).toBe(PATIENT);
    const says = call?.twiml?.match(/<Say voice="Polly\.Bianca" language="it-IT">Le ricordiamo la visita/g) ?? [];
    expect(says).toHaveLength(2);
    expect(call?.twiml).not.toContain('<Gather');
  });

  it('A3: English uses an English voice', async () => {
    await channels.voice.send(voice({ locale: 'en', text: 'This is a reminder of your visit on Monday.' }));
    expect(twilio.calls.at(-1)?.twiml).toContain('<Say voice="Polly.Amy" language="en-GB">This is a reminder');
  });

  it('B2-confirm: asked for a keypress, the call wraps the text in a 1-digit Gather posting to the gather URL, twice', async () => {
    const gatherUrl = `${receiverUrl}/webhooks/twilio/voice/gather?m=abc&sig=1`;
    await channels.voice.send(voice({ gatherUrl }));
    const twiml = twilio.calls.at(-1)?.twiml ?? '';
    const gathers = twiml.match(/<Gather numDigits="1" action="[^"]+" method="POST"[^>]*>/g) ?? [];
    expect(gathers).toHaveLength(2);
    expect(twiml).toContain(`action="${gatherUrl.replace('&', '&amp;')}"`);
    expect(twiml).toMatch(/<Gather[^>]*><Say[^>]*>Le ricordiamo[^<]*<\/Say><Say[^>]*>Premere 1 per confermare/);
  });

  it('B2-confirm: a keypress reaches the gather URL signed like Twilio', async () => {
    const gatherUrl = `${receiverUrl}/webhooks/twilio/voice/gather?m=abc&sig=1`;
    const { providerId } = await channels.voice.send(voice({ gatherUrl }));
    const answer = await twilio.simulateKeypress({ callSid: providerId, digits: '1' });
    expect(answer.status).toBe(204);
    const hook = hooks.at(-1);
    expect(hook?.pathAndQuery).toBe('/webhooks/twilio/voice/gather?m=abc&sig=1');
    expect(hook?.params).toMatchObject({ CallSid: providerId, Digits: '1' });
    expect(
      verifyTwilioSignature({ authToken, publicUrl: receiverUrl, pathAndQuery: hook?.pathAndQuery ?? '', params: hook?.params ?? {}, signature: hook?.signature }),
    ).toBe(true);
  });

  it('A3: an invalid caller number is a permanent error naming the field', async () => {
    const error = await failure(channels.voice.send(voice({ senders: { voiceCallerNumber: 'Studio' } })));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('senders.voiceCallerNumber');
  });

  it('B2-confirm: buildVoiceTwiml is pure and escapes the spoken text', () => {
    const twiml = buildVoiceTwiml({ text: 'Visita <Dr. Rossi> & co.', locale: 'it', gatherUrl: null });
    expect(twiml).toContain('Visita &lt;Dr. Rossi&gt; &amp; co.');
    expect(twiml.startsWith('<?xml version="1.0" encoding="UTF-8"?><Response>')).toBe(true);
  });
});

/** Applies every hook's status to a message in order, as the webhook handler will. */
function replay(statuses: (MessageStatus | null)[], start: MessageStatus = 'sending'): MessageStatus {
  let current = start;
  for (const next of statuses) {
    if (next === null) continue;
    current = advanceStatus(current, next) ?? current;
  }
  return current;
}

describe('A3: signed status callbacks', () => {
  it('A3: an SMS gets sent then delivered callbacks, each signed so verifyTwilioSignature accepts it', async () => {
    const statusCallbackUrl = `${receiverUrl}/webhooks/twilio/status?message=m-1`;
    const { providerId } = await channels.sms.send(sms({ statusCallbackUrl }));
    expect(lastRequest().params.StatusCallback).toBe(statusCallbackUrl);
    await twilio.idle();

    expect(hooks.map((h) => h.params.MessageStatus)).toEqual(['sent', 'delivered']);
    for (const hook of hooks) {
      expect(hook.params.MessageSid).toBe(providerId);
      expect(verifyTwilioSignature({ authToken, publicUrl: receiverUrl, pathAndQuery: hook.pathAndQuery, params: hook.params, signature: hook.signature })).toBe(true);
    }
    expect(replay(hooks.map((h) => mapTwilioMessageStatus(h.params.MessageStatus ?? '')))).toBe('delivered');
  });

  it('A3: a tampered param, another URL, another token or no signature fail verification', async () => {
    await channels.sms.send(sms({ statusCallbackUrl: `${receiverUrl}/webhooks/twilio/status?message=m-2` }));
    await twilio.idle();
    const hook = hooks[0];
    if (!hook) throw new Error('no callback received');
    const base = { authToken, publicUrl: receiverUrl, pathAndQuery: hook.pathAndQuery, params: hook.params, signature: hook.signature };
    expect(verifyTwilioSignature(base)).toBe(true);
    expect(verifyTwilioSignature({ ...base, params: { ...hook.params, MessageStatus: 'failed' } })).toBe(false);
    expect(verifyTwilioSignature({ ...base, pathAndQuery: '/webhooks/twilio/status?message=m-3' })).toBe(false);
    expect(verifyTwilioSignature({ ...base, publicUrl: 'https://comms.example.com' })).toBe(false);
    expect(verifyTwilioSignature({ ...base, authToken: randomBytes(16).toString('hex') })).toBe(false);
    expect(verifyTwilioSignature({ ...base, signature: undefined })).toBe(false);
  });

  it('A3: behind a proxy the URL is rebuilt from the public base URL Twilio was given', () => {
    const params = { MessageSid: 'SM0123', MessageStatus: 'delivered' };
    const signature = signTwilioRequest(authToken, 'https://comms.example.com/webhooks/twilio/status?message=m-4', params);
    expect(verifyTwilioSignature({ authToken, publicUrl: 'https://comms.example.com/', pathAndQuery: '/webhooks/twilio/status?message=m-4', params, signature })).toBe(true);
  });

  it('A3: an undelivered SMS reports the error code and ends failed', async () => {
    twilio.failNext({ callbackStatus: 'undelivered', errorCode: 30005 });
    await channels.sms.send(sms({ statusCallbackUrl: `${receiverUrl}/webhooks/twilio/status?message=m-5` }));
    await twilio.idle();
    expect(hooks.map((h) => h.params.MessageStatus)).toEqual(['sent', 'undelivered']);
    expect(hooks[1]?.params.ErrorCode).toBe('30005');
    expect(replay(hooks.map((h) => mapTwilioMessageStatus(h.params.MessageStatus ?? '')))).toBe('failed');
  });

  it('A3: a voice call reports completed (delivered) or busy (failed), signed', async () => {
    await channels.voice.send(voice({ statusCallbackUrl: `${receiverUrl}/webhooks/twilio/call-status?message=m-6` }));
    await twilio.idle();
    expect(hooks.map((h) => h.params.CallStatus)).toEqual(['completed']);
    const hook = hooks[0];
    expect(verifyTwilioSignature({ authToken, publicUrl: receiverUrl, pathAndQuery: hook?.pathAndQuery ?? '', params: hook?.params ?? {}, signature: hook?.signature })).toBe(true);
    expect(mapTwilioCallStatus(hook?.params.CallStatus ?? '')).toBe('delivered');

    hooks.length = 0;
    twilio.failNext({ callbackStatus: 'busy' });
    await channels.voice.send(voice({ statusCallbackUrl: `${receiverUrl}/webhooks/twilio/call-status?message=m-7` }));
    await twilio.idle();
    expect(hooks.map((h) => h.params.CallStatus)).toEqual(['busy']);
    expect(mapTwilioCallStatus('busy')).toBe('failed');
  });

  it('A3: a late or repeated callback does not move a delivered message back', () => {
    expect(replay(['sent', 'delivered', 'sent', 'delivered'])).toBe('delivered');
    expect(replay(['delivered', 'sent'])).toBe('delivered');
  });
});
