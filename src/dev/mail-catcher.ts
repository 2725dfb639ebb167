import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface MailCatcherOptions {
  smtpPort: number;
  webPort: number;
  /** Loopback by default: caught mail is patient data, not for the network. */
  host?: string;
  /** Keep caught mail on disk (e.g. `.data/mail`, one `.eml` per mail) so it survives a restart; in memory otherwise. */
  mailDirectory?: string;
}

export interface MailCatcher {
  smtpHost: string;
  smtpPort: number;
  /** Web page listing the caught mail. */
  webUrl: string;
  /** maildev's REST API shape: `GET {apiUrl}/email` lists caught mail, `DELETE {apiUrl}/email/all` clears it. */
  apiUrl: string;
  stop(): Promise<void>;
}

interface Address {
  address: string;
  name: string;
}

/** One caught mail as `GET /api/email` answers it (the fields maildev gave, so scripts keep working). */
export interface CaughtMail {
  id: string;
  subject: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  date: string;
  text: string;
  html: string | null;
  headers: Record<string, string>;
}

/**
 * The local stack's mail catcher: an SMTP server (npm `smtp-server`) that keeps every mail instead
 * of delivering it, parsed by `mailparser`, listed on a small web page and as JSON. Ours rather
 * than maildev 3, whose dependencies want Node 22 (the project supports Node 20).
 */
export async function startMailCatcher(options: MailCatcherOptions): Promise<MailCatcher> {
  const host = options.host ?? '127.0.0.1';
  const dir = options.mailDirectory;
  const mails: CaughtMail[] = [];
  if (dir) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Ids start with the time caught, so name order is arrival order.
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.eml')).sort()) {
      mails.push(await parseMail(file.slice(0, -'.eml'.length), readFileSync(join(dir, file))));
    }
  }

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const id = `${Date.now().toString(36).padStart(9, '0')}-${randomBytes(4).toString('hex')}`;
        if (dir) writeFileSync(join(dir, `${id}.eml`), raw, { mode: 0o600 });
        parseMail(id, raw).then(
          (mail) => {
            mails.push(mail);
            callback();
          },
          (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
        );
      });
    },
  });
  const web = createServer((request, response) => answer(request, response));

  function answer(request: IncomingMessage, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', 'http://catcher').pathname;
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      response.end(body);
    };
    const json = (status: number, body: unknown) => send(status, 'application/json', JSON.stringify(body));
    const found = /^\/api\/email\/([\w-]+)(\/html)?$/.exec(path);
    const mail = found ? mails.find((m) => m.id === found[1]) : undefined;

    if (request.method === 'GET' && path === '/') return send(200, 'text/html; charset=utf-8', listPage(mails));
    if (request.method === 'GET' && path === '/api/email') return json(200, mails);
    if (request.method === 'DELETE' && path === '/api/email/all') {
      for (const m of mails.splice(0)) forget(m.id);
      return json(200, true);
    }
    if (!found || found[1] === 'all') return json(404, { error: 'not found' });
    if (!mail) return json(404, { error: `no mail ${found[1]}` });
    if (request.method === 'DELETE' && !found[2]) {
      mails.splice(mails.indexOf(mail), 1);
      forget(mail.id);
      return json(200, true);
    }
    if (request.method !== 'GET') return json(405, { error: 'method not allowed' });
    if (!found[2]) return json(200, mail);
    // The mail's own HTML, sandboxed: no scripts, no access to this origin.
    return send(200, 'text/html; charset=utf-8', mail.html ?? `<pre>${escapeHtml(mail.text)}</pre>`, { 'content-security-policy': 'sandbox' });
  }

  function forget(id: string): void {
    if (dir) rmSync(join(dir, `${id}.eml`), { force: true });
  }

  await listen((done, fail) => smtp.listen(options.smtpPort, host, done).once('error', fail));
  try {
    await listen((done, fail) => web.listen(options.webPort, host, done).once('error', fail));
  } catch (err) {
    await new Promise<void>((done) => smtp.close(() => done()));
    throw err;
  }
  return {
    smtpHost: host,
    smtpPort: options.smtpPort,
    webUrl: `http://${host}:${options.webPort}`,
    apiUrl: `http://${host}:${options.webPort}/api`,
    stop: async () => {
      web.closeAllConnections();
      await Promise.all([new Promise<void>((done) => web.close(() => done())), new Promise<void>((done) => smtp.close(() => done()))]);
    },
  };
}

function listen(start: (done: () => void, fail: (err: Error) => void) => void): Promise<void> {
  return new Promise((done, fail) => start(done, fail));
}

async function parseMail(id: string, raw: Buffer): Promise<CaughtMail> {
  const parsed = await simpleParser(raw);
  const addresses = (field: AddressObject | AddressObject[] | undefined): Address[] =>
    (Array.isArray(field) ? field : field ? [field] : []).flatMap((group) => group.value.map((a) => ({ address: a.address ?? '', name: a.name })));
  return {
    id,
    subject: parsed.subject ?? '',
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    date: (parsed.date ?? new Date()).toISOString(),
    text: parsed.text ?? '',
    html: parsed.html || null,
    headers: Object.fromEntries([...parsed.headers].map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)])),
  };
}

function listPage(mails: CaughtMail[]): string {
  const rows = [...mails]
    .reverse()
    .map(
      (m) =>
        `<tr><td>${escapeHtml(new Date(m.date).toLocaleString())}</td><td>${escapeHtml(m.to.map((a) => a.address).join(', '))}</td>` +
        `<td><a href="/api/email/${m.id}/html" target="mail">${escapeHtml(m.subject || '(no subject)')}</a></td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Mail catcher (${mails.length})</title>
<style>body{font-family:system-ui,sans-serif;margin:0;display:flex;height:100vh}section{flex:1;overflow:auto;padding:1em}
table{border-collapse:collapse;width:100%}td{border-bottom:1px solid #ddd;padding:.3em .5em;vertical-align:top}iframe{flex:1;border:0;border-left:1px solid #ccc}</style></head>
<body><section><h1>Caught mail (${mails.length})</h1><p>Nothing here is delivered. <a href="/">Reload</a> · JSON: <a href="/api/email">/api/email</a></p>
<table><tr><th>Received</th><th>To</th><th>Subject</th></tr>
${rows || '<tr><td colspan="3">No mail yet.</td></tr>'}
</table></section><iframe name="mail" sandbox title="mail"></iframe></body></html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
