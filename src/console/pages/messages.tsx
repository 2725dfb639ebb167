import type { MikroORM } from '@mikro-orm/postgresql';
import type { Hono } from 'hono';
import { DateTime } from 'luxon';
import { setConsoleMessageFilters } from '../../db/console-sessions.js';
import { dailyMessageCounts } from '../../db/console-stats.js';
import { CHANNELS, EVENT_KINDS, MESSAGE_STATUSES, SKIP_REASONS, type Channel, type EventKind, type MessageStatus, type SkipReason } from '../../domain/events.js';
import { problemsOf } from '../api.js';
import type { PageDeps } from '../app.js';
import type { Words } from '../i18n.js';
import { Csrf, JsonData, Layout, Notice, SelectField, TableRegion, formatWhen, type PageContext } from '../layout.js';
import type { ConsoleContext, ConsoleEnv } from '../session.js';

const CHART_DAYS = 30;
const FILTERS = ['from', 'to', 'eventKind', 'channel', 'status', 'recipientId', 'limit'] as const;
const PAGE_SIZES = ['10', '25', '50', '100'] as const;
const DEFAULT_PAGE_SIZE = '25';
/** The list's cursor (src/api/pagination.ts): a creation time and a message id, nothing of a patient. */
const CURSOR = /^[0-9]{1,13}_[0-9a-f-]{36}$/;
/** Pages walked through so far are carried as their cursors (`?at=c1,c2`), so Previous works. */
const MAX_TRAIL = 50;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

interface MessageRow {
  id: string;
  appointmentId: string | null;
  eventKind: EventKind;
  channel: Channel;
  recipient: { kind: string; id: string | null };
  status: MessageStatus;
  skipReason: SkipReason | null;
  failureReason: string | null;
  dueAt: string;
  credits: number;
}

const reasonOf = (w: Words, m: { skipReason: SkipReason | null; failureReason: string | null }) =>
  m.skipReason && (SKIP_REASONS as readonly string[]).includes(m.skipReason) ? w.skip(m.skipReason) : (m.failureReason ?? '');

/**
 * E1: the message summary, filtered and paged. The filters are posted and kept in the session, so
 * a patient id never sits in a URL; the paging links carry only the list's cursors.
 */
function MessagesPage(props: {
  ctx: PageContext;
  timeZone: string;
  filters: Filters;
  rows: MessageRow[];
  chart: unknown;
  error: string | null;
  trail: string[];
  nextCursor: string | null;
}) {
  const { w, csrf } = props.ctx;
  const f = props.filters;
  return (
    <Layout ctx={props.ctx} section="messages" scripts={['/console/static/uPlot.js']}>
      <section aria-labelledby="chart-h">
        <h2 id="chart-h">{w.t('perDay')}</h2>
        <div class="charts" id="message-charts"></div>
        <JsonData id="message-chart-data" data={props.chart} />
      </section>
      <form method="post" action="/console/messages" class="row filters">
        <Csrf csrf={csrf} />
        <div class="field">
          <label for="f-from">{w.t('from')}</label>
          <input type="date" id="f-from" name="from" value={f.from ?? ''} />
        </div>
        <div class="field">
          <label for="f-to">{w.t('to')}</label>
          <input type="date" id="f-to" name="to" value={f.to ?? ''} />
        </div>
        <SelectField id="f-event" name="eventKind" label={w.t('event')} blank={w.t('all')} options={EVENT_KINDS.map((k) => [k, w.event(k)] as const)} selected={f.eventKind} />
        <SelectField id="f-channel" name="channel" label={w.t('channel')} blank={w.t('all')} options={CHANNELS.map((ch) => [ch, w.channel(ch)] as const)} selected={f.channel} />
        <SelectField id="f-status" name="status" label={w.t('status')} blank={w.t('all')} options={MESSAGE_STATUSES.map((st) => [st, w.status(st)] as const)} selected={f.status} />
        <div class="field">
          <label for="f-patient">{w.t('patient')}</label>
          <input id="f-patient" name="recipientId" value={f.recipientId ?? ''} autocomplete="off" />
        </div>
        <SelectField id="f-limit" name="limit" label={w.t('perPage')} options={PAGE_SIZES.map((n) => [n, n] as const)} selected={f.limit ?? DEFAULT_PAGE_SIZE} />
        <div class="buttons">
          <button type="submit">{w.t('filter')}</button>
          <button type="submit" name="clear" value="1" class="secondary">
            {w.t('clearFilters')}
          </button>
        </div>
      </form>
      <Notice error={props.error} />
      <Pager w={w} trail={props.trail} nextCursor={props.nextCursor} />
      {props.rows.length === 0 ? (
        <p>{w.t('noMessages')}</p>
      ) : (
        <TableRegion label={w.t('messages')}>
          <table class="messages">
            <thead>
              <tr>
                <th scope="col">{w.t('due')}</th>
                <th scope="col">{w.t('event')}</th>
                <th scope="col">{w.t('channel')}</th>
                <th scope="col">{w.t('recipient')}</th>
                <th scope="col">{w.t('appointment')}</th>
                <th scope="col">{w.t('status')}</th>
                <th scope="col">{w.t('reason')}</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((m) => (
                <tr data-message={m.id}>
                  <td>{formatWhen(w, m.dueAt, props.timeZone)}</td>
                  <td>{w.event(m.eventKind)}</td>
                  <td>{w.channel(m.channel)}</td>
                  <td>{m.recipient.id ?? m.recipient.kind}</td>
                  <td>{m.appointmentId ?? ''}</td>
                  <td>
                    <span class={`badge status-${m.status}`}>{w.status(m.status)}</span>
                  </td>
                  <td>{reasonOf(w, m)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </Layout>
  );
}

const pageHref = (trail: string[]) => (trail.length === 0 ? '/console/messages' : `/console/messages?at=${trail.join(',')}`);

function Pager(props: { w: Words; trail: string[]; nextCursor: string | null }) {
  const { w, trail, nextCursor } = props;
  if (trail.length === 0 && !nextCursor) return null;
  return (
    <nav class="pager" aria-label={w.t('pages')}>
      {trail.length > 0 ? <a href={pageHref([])}>{w.t('firstPage')}</a> : null}
      {trail.length > 0 ? (
        <a href={pageHref(trail.slice(0, -1))} rel="prev">
          {w.t('previousPage')}
        </a>
      ) : null}
      <span aria-current="page">{w.t('pageN').replace('{n}', String(trail.length + 1))}</span>
      {nextCursor && trail.length < MAX_TRAIL ? (
        <a href={pageHref([...trail, nextCursor])} rel="next">
          {w.t('nextPage')}
        </a>
      ) : null}
    </nav>
  );
}

/** X6: one appointment's timeline; the appointment id is posted, not put in the URL. */
function TimelinePage(props: { ctx: PageContext; timeZone: string; appointmentId: string; entries: { eventKind: string; state: string; at: string; channel: string | null; reason: string | null }[] | null; error: string | null }) {
  const { w, csrf } = props.ctx;
  return (
    <Layout ctx={props.ctx} section="timeline">
      <form method="post" action="/console/timeline" class="row">
        <Csrf csrf={csrf} />
        <div class="field">
          <label for="tl-id">{w.t('appointment')}</label>
          <input id="tl-id" name="appointmentId" value={props.appointmentId} required autocomplete="off" />
        </div>
        <button type="submit">{w.t('show')}</button>
      </form>
      <Notice error={props.error} />
      {props.entries === null ? null : props.entries.length === 0 ? (
        <p>{w.t('noTimeline')}</p>
      ) : (
        <ol class="timeline">
          {props.entries.map((e) => (
            <li>
              <time datetime={e.at}>{formatWhen(w, e.at, props.timeZone)}</time> · {w.timelineEvent(e.eventKind)}
              {e.channel && (CHANNELS as readonly string[]).includes(e.channel) ? ` · ${w.channel(e.channel as Channel)}` : ''} ·{' '}
              <span class={`badge status-${e.state}`}>{w.timelineState(e.state)}</span>
              {e.reason ? ` · ${(SKIP_REASONS as readonly string[]).includes(e.reason) ? w.skip(e.reason as SkipReason) : e.reason}` : ''}
            </li>
          ))}
        </ol>
      )}
    </Layout>
  );
}

export function messageRoutes(app: Hono<ConsoleEnv>, deps: PageDeps & { orm: MikroORM; now: () => Date }): void {
  async function page(c: ConsoleContext, trail: string[]) {
    const filters = (c.var.session.messageFilters ?? {}) as Filters;
    const query = new URLSearchParams({ limit: DEFAULT_PAGE_SIZE });
    for (const name of FILTERS) if (filters[name]) query.set(name, filters[name]!);
    if (trail.length > 0) query.set('cursor', trail[trail.length - 1]!);
    const answer = await deps.api(c).get(`/messages?${query}`);
    const problems = problemsOf(answer);
    const since = new Date(deps.now().getTime() - CHART_DAYS * 86_400_000);
    const timeZone = (await deps.api(c).read('/center')).timeZone as string;
    const counts = await dailyMessageCounts(deps.orm.em.fork(), c.var.session.centerId, since);
    const w = c.var.w;
    // Every day of the window, so a quiet day is a zero and not a gap.
    const days = Array.from({ length: CHART_DAYS + 1 }, (_, i) => DateTime.fromJSDate(since).setZone(timeZone).plus({ days: i }).toISODate() as string);
    const chart = {
      days,
      counts,
      channels: Object.fromEntries(CHANNELS.map((ch) => [ch, w.channel(ch)])),
      outcomes: { sent: w.t('sent'), delivered: w.t('delivered'), failed: w.t('failed'), skipped: w.t('skipped') },
      dayLabel: w.t('day'),
    };
    const error = problems.detail ? [problems.detail, ...[...problems.fields].map(([k, m]) => `${k}: ${m}`)].join(' ') : null;
    const ok = answer.status === 200;
    return c.html(
      <MessagesPage
        ctx={deps.ctxOf(c)}
        timeZone={timeZone}
        filters={filters}
        rows={ok ? answer.body.data : []}
        chart={chart}
        error={error}
        trail={ok ? trail : []}
        nextCursor={ok ? answer.body.nextCursor : null}
      />,
      problems.detail ? 400 : 200,
    );
  }

  app.get('/messages', (c) => {
    const trail = (c.req.query('at') ?? '').split(',').filter((x) => CURSOR.test(x)).slice(0, MAX_TRAIL);
    return page(c, trail);
  });
  // The filters are posted and kept in the session, then the first page is shown (post, redirect, get).
  app.post('/messages', async (c) => {
    const form = await c.req.parseBody();
    const filters: Record<string, string> = {};
    if (form.clear !== '1') {
      for (const name of FILTERS) {
        const v = String(form[name] ?? '').trim();
        if (v) filters[name] = v;
      }
    }
    await setConsoleMessageFilters(deps.orm.em.fork(), c.var.sessionId, Object.keys(filters).length > 0 ? filters : null);
    return c.redirect('/console/messages', 303);
  });

  app.get('/timeline', (c) => c.html(<TimelinePage ctx={deps.ctxOf(c)} timeZone="UTC" appointmentId="" entries={null} error={null} />));
  app.post('/timeline', async (c) => {
    const id = String((await c.req.parseBody()).appointmentId ?? '').trim();
    const answer = await deps.api(c).get(`/appointments/${encodeURIComponent(id)}/timeline`);
    const error = answer.status === 200 ? null : problemsOf(answer).detail;
    const timeZone = (await deps.api(c).read('/center')).timeZone as string;
    return c.html(<TimelinePage ctx={deps.ctxOf(c)} timeZone={timeZone} appointmentId={id} entries={answer.status === 200 ? answer.body.entries : null} error={error} />, answer.status === 200 ? 200 : 404);
  });
}
