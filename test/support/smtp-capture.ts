import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

/**
 * A real SMTP server for tests (smtp-server + mailparser): accepts mail on a free port, keeps
 * every message parsed, and can refuse the next RCPT or DATA with a temporary (451) or
 * permanent (550) reply.
 */

export interface SmtpFailure {
  /** e.g. 451 (try later) or 550 (mailbox unavailable). */
  code: number;
  /** The SMTP command that gets the error reply; default `rcpt`. */
  stage?: 'rcpt' | 'data';
  message?: string;
}

export interface CapturedMail {
  envelope: { from: string | null; to: string[] };
  parsed: ParsedMail;
  raw: string;
}

export interface SmtpCapture {
  host: string;
  port: number;
  mails: CapturedMail[];
  /** The next `times` messages fail at `failure.stage`. */
  failNext(failure: SmtpFailure, times?: number): void;
  /**
   * The next `times` messages are taken in full (and captured), then the connection drops
   * instead of the final reply: the sender cannot know the mail was accepted.
   */
  dropAfterData(times?: number): void;
  /** Every message fails like this until called with null. */
  failAlways(failure: SmtpFailure | null): void;
  /** The final reply to each message comes this long after its data was taken (a slow provider); 0 = at once. */
  delayReplies(ms: number): void;
  /** Resolves with the `count`-th captured mail (1-based), waiting up to `timeoutMs`. */
  waitForMail(count?: number, timeoutMs?: number): Promise<CapturedMail>;
  stop(): Promise<void>;
}

function smtpError(failure: SmtpFailure): SMTPServerError {
  const error: SMTPServerError = new Error(failure.message ?? (failure.code >= 500 ? 'Mailbox unavailable' : 'Try again later'));
  error.responseCode = failure.code;
  return error;
}

export async function startSmtpCapture(options: { failWith?: SmtpFailure } = {}): Promise<SmtpCapture> {
  const mails: CapturedMail[] = [];
  const oneShot: SmtpFailure[] = [];
  let always: SmtpFailure | null = options.failWith ?? null;
  let drops = 0;
  let replyDelayMs = 0;
  let waiters: (() => void)[] = [];
  // One decision per message, taken at its first RCPT and applied at the matching stage.
  const decided = new Map<string, SmtpFailure | null>();

  function failureFor(sessionId: string, fresh: boolean): SmtpFailure | null {
    if (fresh || !decided.has(sessionId)) decided.set(sessionId, oneShot.shift() ?? always);
    return decided.get(sessionId) ?? null;
  }

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // Pooled client connections must not hold stop() for the default 30 s.
    closeTimeout: 200,
    onMailFrom(_address, session, callback) {
      failureFor(session.id, true);
      callback();
    },
    onRcptTo(_address, session, callback) {
      const failure = failureFor(session.id, false);
      if (failure && (failure.stage ?? 'rcpt') === 'rcpt') {
        callback(smtpError(failure));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const failure = failureFor(session.id, false);
        if (failure && failure.stage === 'data') {
          callback(smtpError(failure));
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          to: session.envelope.rcptTo.map((r) => r.address),
        };
        simpleParser(raw).then(
          (parsed) => {
            mails.push({ envelope, parsed, raw });
            const current = waiters;
            waiters = [];
            for (const wake of current) wake();
            if (drops > 0) {
              drops -= 1;
              // smtp-server keeps its connections in a set; drop this session's socket unanswered.
              const connections = (server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }).connections;
              for (const connection of connections) if (connection.id === session.id) connection._socket.destroy();
              return;
            }
            if (replyDelayMs > 0) setTimeout(() => callback(), replyDelayMs);
            else callback();
          },
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  // A client that vanishes mid-session (a killed worker) is a connection error, not the server's.
  server.on('error', () => undefined);

  return {
    host: '127.0.0.1',
    port,
    mails,
    delayReplies(ms) {
      replyDelayMs = ms;
    },
    failNext(failure, times = 1) {
      for (let i = 0; i < times; i += 1) oneShot.push(failure);
    },
    dropAfterData(times = 1) {
      drops += times;
    },
    failAlways(failure) {
      always = failure;
    },
    async waitForMail(count = 1, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (mails.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`waitForMail: ${mails.length} mail(s) after ${timeoutMs} ms, expected ${count}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      const mail = mails[count - 1];
      if (!mail) throw new Error(`waitForMail: mail ${count} missing`);
      return mail;
    },
    stop() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
