import type { Hono } from 'hono';
import { problemsOf } from '../api.js';
import type { PageDeps } from '../app.js';
import { Csrf, FieldError, Layout, Notice, type PageContext } from '../layout.js';
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

/** B4: tell every patient of a practitioner's day about a delay or an absence, and follow it. */
function AlertsPage(props: { ctx: PageContext; alerts: AlertRow[]; outcome: Outcome; typed: Record<string, string> }) {
  const { w, csrf } = props.ctx;
  const fields = props.outcome.fields ?? new Map<string, string>();
  const running = props.alerts.some((a) => !a.progress.done && a.progress.notified < a.progress.affected);
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
      <h2>{w.t('recentAlerts')}</h2>
      <table id="alerts" data-refresh={running ? '3' : undefined}>
        <thead>
          <tr>
            <th scope="col">{w.t('day')}</th>
            <th scope="col">{w.t('resource')}</th>
            <th scope="col">{w.t('kind')}</th>
            <th scope="col">{w.t('progress')}</th>
          </tr>
        </thead>
        <tbody>
          {props.alerts.map((a) => (
            <tr>
              <td>{a.day}</td>
              <td>{a.resourceId}</td>
              <td>{a.kind === 'delay' ? `${w.t('delay')} ${a.delayMinutes} min` : w.t('absence')}</td>
              <td>
                <progress max={Math.max(a.progress.affected, 1)} value={a.progress.notified} aria-label={`${w.t('progress')} ${a.day}`}></progress> {a.progress.notified}/{a.progress.affected}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}

export function alertRoutes(app: Hono<ConsoleEnv>, deps: PageDeps): void {
  const list = async (c: ConsoleContext) => (await deps.api(c).read('/alerts?limit=20')).data as AlertRow[];
  app.get('/alerts', async (c) => c.html(<AlertsPage ctx={deps.ctxOf(c)} alerts={await list(c)} outcome={{}} typed={{}} />));
  app.post('/alerts', async (c) => {
    const form = Object.fromEntries(Object.entries(await c.req.parseBody()).map(([k, v]) => [k, String(v).trim()]));
    const body =
      form.kind === 'absence'
        ? { kind: 'absence', resourceId: form.resourceId, day: form.day }
        : { kind: 'delay', resourceId: form.resourceId, day: form.day, delayMinutes: form.delayMinutes === '' ? undefined : Number(form.delayMinutes) };
    const answer = await deps.api(c).call('POST', '/alerts', body);
    const problems = problemsOf(answer);
    const outcome: Outcome = problems.detail ? { error: problems.detail, fields: problems.fields } : { ok: c.var.w.t('saved') };
    return c.html(<AlertsPage ctx={deps.ctxOf(c)} alerts={await list(c)} outcome={outcome} typed={problems.detail ? form : {}} />, problems.detail ? 400 : 200);
  });
}
