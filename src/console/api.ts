import type { Caller } from '../api/context.js';
import { internalEnv } from '../api/internal-caller.js';
import type { ConsoleSession } from '../db/entities/index.js';

/** How the console reaches the app's own /v1 routes in-process (`app.request`). */
export type InProcessFetch = (path: string, init: RequestInit, env: unknown) => Response | Promise<Response>;

export interface ApiAnswer {
  status: number;
  // The /v1 answer as the routes wrote it (their schemas are the contract).
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** A client of the REST API acting as the session's center admin: same routes, same validation. */
export function apiFor(fetch: InProcessFetch, session: ConsoleSession) {
  const caller: Caller = { kind: 'center', keyId: session.apiKeyId, centerId: session.centerId, scope: 'admin' };
  async function call(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const init: RequestInit = { method, headers: body === undefined ? {} : { 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetch(`/v1${path}`, init, internalEnv(caller));
    const text = await res.text();
    return { status: res.status, body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
  }
  return {
    call,
    get: (path: string) => call('GET', path),
    /** GET that must succeed (the console's own reads). */
    async read(path: string) {
      const answer = await call('GET', path);
      if (answer.status !== 200) throw new Error(`console read ${path.split('?')[0]} answered ${answer.status}`);
      return answer.body;
    },
  };
}

export type ConsoleApi = ReturnType<typeof apiFor>;

/** The field errors of a problem+json answer, keyed by field ("options.leadMinutes", "body", …). */
export function problemsOf(answer: ApiAnswer): { detail: string | null; fields: Map<string, string> } {
  if (answer.status < 400) return { detail: null, fields: new Map() };
  const fields = new Map<string, string>();
  for (const e of (answer.body?.errors ?? []) as FieldProblem[]) fields.set(e.field, fields.has(e.field) ? `${fields.get(e.field)}; ${e.message}` : e.message);
  return { detail: String(answer.body?.detail ?? `HTTP ${answer.status}`), fields };
}
