import type { MikroORM } from '@mikro-orm/postgresql';
import type { Hono } from 'hono';
import { alertMessageCounts } from '../../db/console-stats.js';
import { problemsOf } from '../api.js';
import type { PageDeps } from '../app.js';
import type { Words } from '../i18n.js';
import { Csrf, FieldError, Layout, Notice, TableRegion, type PageContext } from '../layout.js';
import type { ConsoleContext, ConsoleEnv } from '../session.js';
import type { Outcome } from './settings.js';

interface AlertRow {
  id: string;
  resourceId: string;
  day: string;
  kind: 'delay' | 'absence';
  delayMinutes: number | null;
  progress: { affected: number; notified: number; done: boolean };
}

/** An alert with how far it has come: appointments reached (the API's progress) and its patients' messages. */
export interface AlertProgressView {
  id: string;
  day: string;
  affected: number;
  notified: number;
  prepared: number;
  sent: number;
  /** The fan-out finished and none of its messages is still on its way. */
  finished: boolean;
  text: string;
}

const progressText = (w: Words, p: Omit<AlertProgressView, 'text' | 'id' | 'finished'>, finished: boolean) =>
  `${w
    .t('alertProgress')
    .replace('{day}', p.day)
    .replace('{notified}', String(p.notified))
    .replace('{affected}', String(p.affected))
    .replace('{prepared}', String(p.prepared))
    .replace('{sent}', String(p.sent))} (${w.t(finished ? 'alertDone' : 'alertRunning')})`;

/** B4: tell every patient of a practitioner's day about a delay or an absence, and follow it. */
function AlertsPage(props: { ctx: PageContext; alerts: AlertRow[]; progress: Map<string, AlertProgressView>; outcome: Outcome; typed: Record<string, string> }) {
  const { w, csrf } = props.ctx;
  const fields = props.outcome.fields ?? new Map<string, string>();
  const running = [...props.progress.values()].some((p) => !p.finished);
  const latest = props.alerts[0] ? props.progress.get(props.alerts[0].id) : undefined;
  return (
    <Layout ctx={props.ctx} section="alerts">
      <Notice ok={props.outcome.ok} error={props.outcome.error} />
      <form method="post" action="/console/alerts">
        <Csrf csrf={csrf} />
        <div class="field">
          <label for="a-resource">{w.t('resource')}</label>
          <input id="a-resource" name="resourceId" required value={props.typed.resourceId ?? ''} aria-describedby={fields.has('resourceId') ? 'a-resource-error' : undefined} />
          <FieldError id="a-resource" message={fields.get('resourceId')} />
        </div>
        <div class="field">
          <label for="a-day">{w.t('day')}</label>
          <input id="a-day" type="date" name="day" required value={props.typed.day ?? ''} aria-describedby={fields.has('day') ? 'a-day-error' : undefined} />
          <FieldError id="a-day" message={fields.get('day')} />
        </div>
        <fieldset>
          <legend>{w.t('kind')}</legend>
          <div class="check">
            <input type="radio" id="a-delay" name="kind" value="delay" checked={props.typed.kind !== 'absence'} />
            <label for="a-delay">{w.t('delay')}</label>
          </div>
          <div class="check">
            <input type="radio" id="a-absence" name="kind" value="absence" checked={props.typed.kind === 'absence'} />
            <label for="a-absence">{w.t('absence')}</label>
          </div>
        </fieldset>
        <div class="field">
          <label for="a-minutes">{w.t('delayMinutes')}</label>
          <input id="a-minutes" name="delayMinutes" inputmode="numeric" value={props.typed.delayMinutes ?? ''} aria-describedby={fields.has('delayMinutes') ? 'a-minutes-error' : undefined} />
          <FieldError id="a-minutes" message={fields.get('delayMinutes')} />
        </div>
        <button type="submit">{w.t('send')}</button>
      </form>
      {/* The latest alert's progress, read out as it changes; the script polls /console/alerts/progress. */}
      <p id="alert-live" class="live" role="status" aria-live="polite" data-running={running ? 'true' : undefined}>
        {latest?.text ?? ''}
      </p>
      <h2>{w.t('recentAlerts')}</h2>
      <TableRegion label={w.t('recentAlerts')}>
        <table id="alerts">
          <thead>
            <tr>
              <th scope="col">{w.t('day')}</th>
              <th scope="col">{w.t('resource')}</th>
              <th scope="col">{w.t('kind')}</th>
              <th scope="col">{w.t('progress')}</th>
            </tr>
          </thead>
          <tbody>
            {props.alerts.map((a) => {
              const p = props.progress.get(a.id);
              return (
                <tr data-alert={a.id}>
                  <td>{a.day}</td>
                  <td>{a.resourceId}</td>
                  <td>{a.kind === 'delay' ? `${w.t('delay')} ${a.delayMinutes} min` : w.t('absence')}</td>
                  <td>
                    <progress max={Math.max(a.progress.affected, 1)} value={a.progress.notified} aria-label={`${w.t('progress')} ${a.day}`}></progress>{' '}
                    <span class="alert-text">{p?.text ?? ''}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableRegion>
    </Layout>
  );
}

export function alertRoutes(app: Hono<ConsoleEnv>, deps: PageDeps & { orm: MikroORM }): void {
  // The list answers the recorded counts; an alert still running is read one by one, which asks the engine.
  const list = async (c: ConsoleContext) =>
    Promise.all(((await deps.api(c).read('/alerts?limit=20')).data as AlertRow[]).map(async (a) => (a.progress.done ? a : ((await deps.api(c).read(`/alerts/${a.id}`)) as AlertRow))));
  /** The API's progress of each alert plus its patients' messages, scoped by the session's center. */
  async function progressOf(c: ConsoleContext, alerts: AlertRow[]): Promise<Map<string, AlertProgressView>> {
    const counts = await alertMessageCounts(deps.orm.em.fork(), c.var.session.centerId, alerts.map((a) => a.id));
    return new Map(
      alerts.map((a) => {
        const m = counts.get(a.id) ?? { prepared: 0, sent: 0, pending: 0 };
        const finished = a.progress.done && m.pending === 0;
        const view = { day: a.day, affected: a.progress.affected, notified: a.progress.notified, prepared: m.prepared, sent: m.sent };
        return [a.id, { id: a.id, ...view, finished, text: progressText(c.var.w, view, finished) }];
      }),
    );
  }
  const page = async (c: ConsoleContext, outcome: Outcome, typed: Record<string, string>, status: 200 | 400 = 200) => {
    const alerts = await list(c);
    return c.html(<AlertsPage ctx={deps.ctxOf(c)} alerts={alerts} progress={await progressOf(c, alerts)} outcome={outcome} typed={typed} />, status);
  };
  app.get('/alerts', (c) => page(c, {}, {}));
  app.get('/alerts/progress', async (c) => {
    const progress = [...(await progressOf(c, await list(c))).values()];
    return c.json({ alerts: progress, running: progress.some((p) => !p.finished) });
  });
  app.post('/alerts', async (c) => {
    const form = Object.fromEntries(Object.entries(await c.req.parseBody()).map(([k, v]) => [k, String(v).trim()]));
    const body =
      form.kind === 'absence'
        ? { kind: 'absence', resourceId: form.resourceId, day: form.day }
        : { kind: 'delay', resourceId: form.resourceId, day: form.day, delayMinutes: form.delayMinutes === '' ? undefined : Number(form.delayMinutes) };
    const answer = await deps.api(c).call('POST', '/alerts', body);
    const problems = problemsOf(answer);
    if (problems.detail) return page(c, { error: problems.detail, fields: problems.fields }, form, 400);
    return page(c, { ok: c.var.w.t('alertStarted') }, {});
  });
}
