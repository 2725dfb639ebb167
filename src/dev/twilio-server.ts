/**
 * A local Twilio-compatible HTTP server: the part of the Twilio REST API this project uses, so
 * that tests and `npm start` drive the real `twilio` SDK (see channels/twilio-client.ts) exactly
 * as production does, without a Twilio account.
 *
 *   const twilio = await startTwilioTestServer({ accountSid, authToken, port?, statusCallbackDelayMs? });
 *
 * Endpoints (HTTP Basic auth with accountSid:authToken, else 401 with Twilio code 20003):
 *   POST /2010-04-01/Accounts/{sid}/Messages.json   form: To, From, Body, StatusCallback
 *   GET  /2010-04-01/Accounts/{sid}/Messages/{SM…}.json
 *   POST /2010-04-01/Accounts/{sid}/Calls.json      form: To, From, Twiml | Url, StatusCallback,
 *                                                   StatusCallbackEvent (repeatable)
 *   GET  /2010-04-01/Accounts/{sid}/Calls/{CA…}.json
 *   GET  /2010-04-01/Accounts/{sid}/Messages.json   query: To, From, PageSize (newest first)
 *   GET  /2010-04-01/Accounts/{sid}/Calls.json      query: To, From, PageSize (newest first)
 * Answers are Twilio-shaped JSON (201, `sid` SM…/CA… of 34 chars, `status: "queued"`,
 * `num_segments`, …). Validation as Twilio does it: To missing → 400 21604 (calls 21201), Body
 * missing → 21602, From missing → 21603 (calls 21213), To not E.164 → 21211, From neither E.164
 * nor an alphanumeric sender ID → 21212, body over 1600 chars → 21617, To that replied STOP → 21610.
 *
 * The returned handle:
 *   url, port                 where the server listens (127.0.0.1; port 0 picks a free one)
 *   received                  every request, in order: method, path, resource, params, authorized, answeredStatus
 *   messages, calls           the resources created (calls keep the `Twiml` they were given)
 *   callbacks                 every status callback posted, with the answer it got
 *   failNext(spec, times = 1) the next create request(s) fail:
 *                               { status: 429 | 500 | 503 }           Twilio-shaped error answer
 *                               { status: 400, code: 21211 }          any 4xx with a Twilio code
 *                               { timeoutMs }                         no answer; the socket is closed after timeoutMs
 *                               { dropAfterAccept: true }             the resource is made (and reported as
 *                                                                     usual), but the connection is dropped
 *                                                                     instead of answering
 *                               { callbackStatus: 'undelivered' | 'failed' | 'busy' | 'no-answer', errorCode? }
 *                                                                     accepted, then the status callback reports that failure
 *   setStatusCallbackDelay(ms) delay before each status callback (messages: sent → delivered;
 *                             calls: the requested progress events, then completed)
 *   optOut(number), optIn(number)  what an inbound STOP / START does (Twilio blocks further SMS)
 *   postSigned(url, params)   POST form params to url signed with X-Twilio-Signature, like Twilio
 *   simulateInboundSms({ url, from, to, body })  an SMS reply (STOP/START also update the opt-out list)
 *   simulateKeypress({ callSid, digits, url? })  a <Gather> result; url defaults to the call's Gather action
 *   idle()                    resolves when no status callback is pending
 *   stop()                    closes the server, pending timers and held connections
 *
 * Callbacks are form-encoded and signed over the callback URL + sorted params with the auth
 * token (twilio's getExpectedTwilioSignature), as Twilio signs them.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { smsSegments } from '../domain/sms-segments.js';

export interface TwilioTestServerOptions {
  accountSid: string;
  authToken: string;
  /** 0 or unset: a free port. */
  port?: number;
  /** Delay before each status callback; default 20 ms. */
  statusCallbackDelayMs?: number;
  /** Local stack only: `GET {path}` lists messages, calls and callbacks (there is no Twilio console); unset = no such page. */
  inspectPath?: string;
}

export type TwilioFailure =
  | { status: 429 | 500 | 503; code?: number; message?: string }
  | { status: 400 | 401 | 403 | 404; code: number; message?: string }
  | { timeoutMs: number }
  | { dropAfterAccept: true }
  | { callbackStatus: 'undelivered' | 'failed' | 'busy' | 'no-answer' | 'canceled'; errorCode?: number };

export type TwilioParams = Record<string, string>;

export interface ReceivedRequest {
  method: string;
  path: string;
  resource: 'message' | 'call' | 'other';
  params: TwilioParams;
  authorized: boolean;
  /** null while held by a `{ timeoutMs }` failure. */
  answeredStatus: number | null;
  at: Date;
}

export interface FakeMessage {
  sid: string;
  from: string;
  to: string;
  body: string;
  status: string;
  numSegments: number;
  errorCode: number | null;
  statusCallback: string | null;
  dateCreated: Date;
}

export interface FakeCall {
  sid: string;
  from: string;
  to: string;
  twiml: string | null;
  url: string | null;
  status: string;
  statusCallback: string | null;
  statusCallbackEvents: string[];
  dateCreated: Date;
}

export interface SentCallback {
  url: string;
  params: TwilioParams;
  signature: string;
  /** The HTTP status the callback URL answered, or null when it could not be reached. */
  responseStatus: number | null;
  error: string | null;
}

export interface SignedPostResult {
  status: number;
  body: string;
}

export interface TwilioTestServer {
  readonly url: string;
  readonly port: number;
  readonly accountSid: string;
  readonly received: ReceivedRequest[];
  readonly messages: FakeMessage[];
  readonly calls: FakeCall[];
  readonly callbacks: SentCallback[];
  failNext(spec: TwilioFailure, times?: number): void;
  setStatusCallbackDelay(ms: number): void;
  optOut(number: string): void;
  optIn(number: string): void;
  postSigned(url: string, params: TwilioParams): Promise<SignedPostResult>;
  simulateInboundSms(input: { url: string; from: string; to: string; body: string }): Promise<SignedPostResult>;
  simulateKeypress(input: { callSid: string; digits: string; url?: string }): Promise<SignedPostResult>;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const API_VERSION = '2010-04-01';
const MAX_BODY_BYTES = 1_000_000;
const E164 = /^\+[1-9]\d{6,14}$/;
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;
// Twilio's built-in opt-out and opt-in keywords (the Italian/Spanish ones are ours to handle).
const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
const START_WORDS = new Set(['START', 'YES', 'UNSTOP']);

function newSid(prefix: 'SM' | 'CA'): string {
  return prefix + randomBytes(16).toString('hex');
}

/** Twilio dates are RFC 2822 with a numeric zone. */
function twilioDate(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

function errorBody(status: number, code: number, message: string) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isAuthorized(req: IncomingMessage, accountSid: string, authToken: string): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Basic\s+(.+)$/i.exec(header);
  if (!match?.[1]) return false;
  return Buffer.from(match[1], 'base64').toString('utf8') === `${accountSid}:${authToken}`;
}

function unescapeXml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export async function startTwilioTestServer(options: TwilioTestServerOptions): Promise<TwilioTestServer> {
  const { accountSid, authToken } = options;
  let callbackDelayMs = options.statusCallbackDelayMs ?? 20;
  const received: ReceivedRequest[] = [];
  const messages: FakeMessage[] = [];
  const calls: FakeCall[] = [];
  const callbacks: SentCallback[] = [];
  const failures: TwilioFailure[] = [];
  const optedOut = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const held = new Set<ServerResponse>();
  let pending = 0;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];
  const accountPath = `/${API_VERSION}/Accounts/${accountSid}`;

  function settle(): void {
    pending = Math.max(0, pending - 1);
    if (pending === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Runs `task` after `delayMs`, counted by idle() until it finishes. */
  function later(delayMs: number, task: () => Promise<void>): void {
    if (stopped) return;
    pending += 1;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void task().finally(settle);
    }, delayMs);
    timers.add(timer);
  }

  async function postSigned(url: string, params: TwilioParams): Promise<SignedPostResult> {
    const signature = twilio.getExpectedTwilioSignature(authToken, url, params);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1' },
      body: new URLSearchParams(params).toString(),
    });
    return { status: response.status, body: await response.text() };
  }

  async function sendCallback(url: string, params: TwilioParams): Promise<void> {
    const signature = twilio.getExpectedTwilioSignature(authToken, url, params);
    const record: SentCallback = { url, params, signature, responseStatus: null, error: null };
    callbacks.push(record);
    try {
      const result = await postSigned(url, params);
      record.responseStatus = result.status;
    } catch (error) {
      // A receiver that is down is what Twilio sees too: record it, do not crash the server.
      record.error = error instanceof Error ? error.message : String(error);
    }
  }

  function scheduleMessageCallbacks(message: FakeMessage, failure: Extract<TwilioFailure, { callbackStatus: string }> | undefined): void {
    const steps: { status: string; errorCode?: number }[] = failure
      ? [{ status: 'sent' }, { status: failure.callbackStatus, errorCode: failure.errorCode ?? 30003 }]
      : [{ status: 'sent' }, { status: 'delivered' }];
    const run = (index: number): void => {
      const step = steps[index];
      if (!step) return;
      later(callbackDelayMs, async () => {
        message.status = step.status;
        if (step.errorCode !== undefined) message.errorCode = step.errorCode;
        if (message.statusCallback) {
          const params: TwilioParams = {
            AccountSid: accountSid,
            ApiVersion: API_VERSION,
            MessageSid: message.sid,
            SmsSid: message.sid,
            MessageStatus: step.status,
            SmsStatus: step.status,
            From: message.from,
            To: message.to,
          };
          if (step.errorCode !== undefined) params.ErrorCode = String(step.errorCode);
          await sendCallback(message.statusCallback, params);
        }
        run(index + 1);
      });
    };
    run(0);
  }

  function scheduleCallCallbacks(call: FakeCall, failure: Extract<TwilioFailure, { callbackStatus: string }> | undefined): void {
    const progress = failure ? ['initiated', 'ringing'] : ['initiated', 'ringing', 'answered'];
    const steps = progress
      .filter((event) => call.statusCallbackEvents.includes(event))
      .map((event) => (event === 'answered' ? 'in-progress' : event));
    steps.push(failure ? failure.callbackStatus : 'completed');
    let sequence = 0;
    const run = (index: number): void => {
      const status = steps[index];
      if (status === undefined) return;
      later(callbackDelayMs, async () => {
        call.status = status;
        if (call.statusCallback) {
          const params: TwilioParams = {
            AccountSid: accountSid,
            ApiVersion: API_VERSION,
            CallSid: call.sid,
            CallStatus: status,
            Direction: 'outbound-api',
            From: call.from,
            To: call.to,
            SequenceNumber: String(sequence++),
            Timestamp: twilioDate(new Date()),
            CallbackSource: 'call-progress-events',
          };
          if (status === 'completed') {
            params.CallDuration = '12';
            params.Duration = '1';
          }
          await sendCallback(call.statusCallback, params);
        }
        run(index + 1);
      });
    };
    run(0);
  }

  function messageJson(message: FakeMessage) {
    const uri = `${accountPath}/Messages/${message.sid}.json`;
    return {
      account_sid: accountSid,
      api_version: API_VERSION,
      body: message.body,
      date_created: twilioDate(message.dateCreated),
      date_sent: null,
      date_updated: twilioDate(new Date()),
      direction: 'outbound-api',
      error_code: message.errorCode,
      error_message: null,
      from: message.from,
      messaging_service_sid: null,
      num_media: '0',
      num_segments: String(message.numSegments),
      price: null,
      price_unit: 'USD',
      sid: message.sid,
      status: message.status,
      subresource_uris: { media: `${accountPath}/Messages/${message.sid}/Media.json` },
      to: message.to,
      uri,
    };
  }

  function callJson(call: FakeCall) {
    return {
      account_sid: accountSid,
      annotation: null,
      answered_by: null,
      api_version: API_VERSION,
      caller_name: null,
      date_created: twilioDate(call.dateCreated),
      date_updated: twilioDate(new Date()),
      direction: 'outbound-api',
      duration: null,
      end_time: null,
      forwarded_from: null,
      from: call.from,
      from_formatted: call.from,
      group_sid: null,
      parent_call_sid: null,
      phone_number_sid: null,
      price: null,
      price_unit: 'USD',
      queue_time: '0',
      sid: call.sid,
      start_time: null,
      status: call.status,
      subresource_uris: { notifications: `${accountPath}/Calls/${call.sid}/Notifications.json` },
      to: call.to,
      to_formatted: call.to,
      trunk_sid: null,
      uri: `${accountPath}/Calls/${call.sid}.json`,
    };
  }

  type Answer = { status: number; body: unknown };

  /** One page of a list, newest first, filtered by To and From as Twilio does. */
  function listAnswer(key: 'messages' | 'calls', query: URLSearchParams): unknown {
    const to = query.get('To');
    const from = query.get('From');
    const pageSize = Math.min(1000, Math.max(1, Number(query.get('PageSize')) || 50));
    const all: (FakeMessage | FakeCall)[] = key === 'messages' ? messages : calls;
    const matching = all.filter((r) => (!to || r.to === to) && (!from || r.from === from)).reverse().slice(0, pageSize);
    const uri = `${accountPath}/${key === 'messages' ? 'Messages' : 'Calls'}.json?PageSize=${pageSize}&Page=0`;
    return {
      [key]: matching.map((r) => ('body' in r ? messageJson(r) : callJson(r))),
      first_page_uri: uri,
      next_page_uri: null,
      previous_page_uri: null,
      page: 0,
      page_size: pageSize,
      start: 0,
      end: Math.max(0, matching.length - 1),
      uri,
    };
  }
  const fail = (status: number, code: number, message: string): Answer => ({ status, body: errorBody(status, code, message) });

  function createMessage(params: TwilioParams, failure: TwilioFailure | undefined): Answer {
    const to = params.To?.trim();
    const from = params.From?.trim();
    const body = params.Body;
    if (!to) return fail(400, 21604, "A 'To' phone number is required.");
    if (!from && !params.MessagingServiceSid) return fail(400, 21603, "A 'From' phone number is required.");
    if (body === undefined || body === '') return fail(400, 21602, 'Message body is required.');
    if (!E164.test(to)) return fail(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (from && !E164.test(from) && !ALPHANUMERIC_SENDER.test(from)) {
      return fail(400, 21212, `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`);
    }
    if (body.length > 1600) return fail(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    if (optedOut.has(to)) return fail(400, 21610, 'Attempt to send to unsubscribed recipient');
    const message: FakeMessage = {
      sid: newSid('SM'),
      from: from ?? '',
      to,
      body,
      status: 'queued',
      numSegments: smsSegments(body).segments,
      errorCode: null,
      statusCallback: params.StatusCallback || null,
      dateCreated: new Date(),
    };
    messages.push(message);
    scheduleMessageCallbacks(message, failure && 'callbackStatus' in failure ? failure : undefined);
    return { status: 201, body: messageJson(message) };
  }

  function createCall(params: TwilioParams, events: string[], failure: TwilioFailure | undefined): Answer {
    const to = params.To?.trim();
    const from = params.From?.trim();
    if (!to) return fail(400, 21201, "No 'To' number is specified");
    if (!from) return fail(400, 21213, "No 'From' number is specified");
    if (!params.Twiml && !params.Url && !params.ApplicationSid) return fail(400, 21205, 'Url parameter is required.');
    if (!E164.test(to)) return fail(400, 21211, `Invalid 'To' Phone Number: ${to}`);
    if (!E164.test(from)) return fail(400, 21212, `Invalid 'From' Phone Number: ${from}`);
    const call: FakeCall = {
      sid: newSid('CA'),
      from,
      to,
      twiml: params.Twiml ?? null,
      url: params.Url ?? null,
      status: 'queued',
      statusCallback: params.StatusCallback || null,
      statusCallbackEvents: events,
      dateCreated: new Date(),
    };
    calls.push(call);
    scheduleCallCallbacks(call, failure && 'callbackStatus' in failure ? failure : undefined);
    return { status: 201, body: callJson(call) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (options.inspectPath && req.method === 'GET' && path === options.inspectPath) {
      sendJson(res, 200, { messages, calls, callbacks });
      return;
    }
    const raw = req.method === 'POST' ? await readBody(req) : '';
    const form = new URLSearchParams(raw);
    const params: TwilioParams = Object.fromEntries(form.entries());
    const resource = /\/Messages(\/[^/]+)?\.json$/.test(path) ? 'message' : /\/Calls(\/[^/]+)?\.json$/.test(path) ? 'call' : 'other';
    const record: ReceivedRequest = {
      method: req.method ?? 'GET',
      path,
      resource,
      params,
      authorized: isAuthorized(req, accountSid, authToken),
      answeredStatus: null,
      at: new Date(),
    };
    received.push(record);
    const answer = (status: number, body: unknown) => {
      record.answeredStatus = status;
      sendJson(res, status, body);
    };

    if (!record.authorized || !path.startsWith(`${accountPath}/`)) {
      answer(401, errorBody(401, 20003, 'Authenticate'));
      return;
    }

    const isCreate = req.method === 'POST' && (path === `${accountPath}/Messages.json` || path === `${accountPath}/Calls.json`);
    const failure = isCreate ? failures.shift() : undefined;
    if (failure && 'timeoutMs' in failure) {
      held.add(res);
      const timer = setTimeout(() => {
        timers.delete(timer);
        held.delete(res);
        res.destroy();
      }, failure.timeoutMs);
      timers.add(timer);
      return;
    }
    if (failure && 'status' in failure) {
      const fallbackCode = failure.status === 429 ? 20429 : 20500;
      answer(failure.status, errorBody(failure.status, failure.code ?? fallbackCode, failure.message ?? 'Injected failure'));
      return;
    }

    // Accepted, then the connection drops before the answer: the caller cannot know it was made.
    const reply = (result: Answer) => {
      if (failure && 'dropAfterAccept' in failure && result.status === 201) {
        record.answeredStatus = 0;
        res.socket?.destroy();
        return;
      }
      answer(result.status, result.body);
    };
    if (req.method === 'POST' && path === `${accountPath}/Messages.json`) {
      reply(createMessage(params, failure));
      return;
    }
    if (req.method === 'POST' && path === `${accountPath}/Calls.json`) {
      reply(createCall(params, form.getAll('StatusCallbackEvent'), failure));
      return;
    }
    if (req.method === 'GET' && (path === `${accountPath}/Messages.json` || path === `${accountPath}/Calls.json`)) {
      answer(200, listAnswer(path === `${accountPath}/Messages.json` ? 'messages' : 'calls', new URL(req.url ?? '/', 'http://localhost').searchParams));
      return;
    }
    const fetched = /^\/(Messages|Calls)\/([A-Z]{2}[0-9a-f]{32})\.json$/.exec(path.slice(accountPath.length));
    if (req.method === 'GET' && fetched) {
      const sid = fetched[2];
      const found = fetched[1] === 'Messages' ? messages.find((m) => m.sid === sid) : calls.find((c) => c.sid === sid);
      if (found) {
        answer(200, 'body' in found ? messageJson(found) : callJson(found));
        return;
      }
    }
    answer(404, errorBody(404, 20404, `The requested resource ${path} was not found`));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Only a malformed request gets here (e.g. an oversized body): answer like Twilio would.
      if (!res.headersSent) sendJson(res, 400, errorBody(400, 20001, error instanceof Error ? error.message : 'Bad request'));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    accountSid,
    received,
    messages,
    calls,
    callbacks,
    failNext(spec, times = 1) {
      for (let i = 0; i < times; i += 1) failures.push(spec);
    },
    setStatusCallbackDelay(ms) {
      callbackDelayMs = ms;
    },
    optOut(number) {
      optedOut.add(number);
    },
    optIn(number) {
      optedOut.delete(number);
    },
    postSigned,
    async simulateInboundSms({ url, from, to, body }) {
      const keyword = body.trim().toUpperCase();
      if (STOP_WORDS.has(keyword)) optedOut.add(from);
      if (START_WORDS.has(keyword)) optedOut.delete(from);
      const sid = newSid('SM');
      return postSigned(url, {
        AccountSid: accountSid,
        ApiVersion: API_VERSION,
        MessageSid: sid,
        SmsSid: sid,
        SmsMessageSid: sid,
        SmsStatus: 'received',
        From: from,
        To: to,
        Body: body,
        NumMedia: '0',
        NumSegments: String(smsSegments(body).segments),
      });
    },
    async simulateKeypress({ callSid, digits, url }) {
      const call = calls.find((c) => c.sid === callSid);
      if (!call) throw new Error(`simulateKeypress: no call ${callSid} was placed on this server`);
      const action = url ?? /<Gather\b[^>]*\baction="([^"]+)"/.exec(call.twiml ?? '')?.[1];
      if (!action) throw new Error(`simulateKeypress: call ${callSid} has no <Gather action> and no url was given`);
      return postSigned(unescapeXml(action), {
        AccountSid: accountSid,
        ApiVersion: API_VERSION,
        CallSid: call.sid,
        CallStatus: 'in-progress',
        Direction: 'outbound-api',
        From: call.from,
        To: call.to,
        Digits: digits,
        FinishedOnKey: '',
        msg: 'Gather End',
      });
    },
    idle() {
      return pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const res of held) res.destroy();
      held.clear();
      pending = 0;
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
