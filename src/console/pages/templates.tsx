import type { Hono } from 'hono';
import { messageCost } from '../../domain/credits.js';
import { CHANNELS, LOCALES, type Channel, type EventKind, type Locale } from '../../domain/events.js';
import { validateTemplate } from '../../domain/placeholders.js';
import { smsSegments } from '../../domain/sms-segments.js';
import { problemsOf, type ConsoleApi } from '../api.js';
import type { PageDeps, WithReplan } from '../app.js';
import { Csrf, FieldError, JsonData, Layout, Notice, Replan, SelectField, formatWhen, type PageContext } from '../layout.js';
import type { ConsoleContext, ConsoleEnv } from '../session.js';
import { isEventKind, type Outcome } from './settings.js';
import { EVENT_KINDS } from '../../domain/events.js';

interface Choice {
  eventKind: EventKind;
  channel: Channel;
  locale: Locale;
}

interface Legend {
  groups: { group: string; label: { it: string; en: string } }[];
  data: { tag: string; group: string; description: { it: string; en: string }; events: string[] | null; isLink: boolean }[];
}

function choiceOf(query: Record<string, string | undefined>): Choice {
  const kind = query.eventKind ?? '';
  return {
    eventKind: isEventKind(kind) ? kind : 'appointment.reminder',
    channel: (CHANNELS as readonly string[]).includes(query.channel ?? '') ? (query.channel as Channel) : 'sms',
    locale: (LOCALES as readonly string[]).includes(query.locale ?? '') ? (query.locale as Locale) : 'it',
  };
}

const LOCALE_NAMES = [['it', 'Italiano'], ['en', 'English']] as const;

const pathOf = (c: Choice) => `/templates/${c.eventKind}/${c.channel}/${c.locale}`;

/** A4: one template per event × channel × language, with the legend, live counts and a preview. */
function TemplatesPage(props: {
  ctx: PageContext;
  choice: Choice;
  template: { subject: string | null; body: string; custom: boolean };
  legend: Legend;
  appointments: { id: string; startAt: string }[];
  timeZone: string;
  outcome: Outcome;
}) {
  const { w, csrf } = props.ctx;
  const { choice, template, outcome } = props;
  const fields = outcome.fields ?? new Map<string, string>();
  const loc = w.locale;
  const usable = props.legend.data.filter((p) => (p.events === null || p.events.includes(choice.eventKind)) && !(choice.channel === 'voice' && p.isLink));
  return (
    <Layout ctx={props.ctx} section="templates">
      <form method="get" action="/console/templates" class="row">
        <SelectField id="t-event" name="eventKind" label={w.t('event')} options={EVENT_KINDS.map((k) => [k, w.event(k)] as const)} selected={choice.eventKind} />
        <SelectField id="t-channel" name="channel" label={w.t('channel')} options={CHANNELS.map((ch) => [ch, w.channel(ch)] as const)} selected={choice.channel} />
        <SelectField id="t-locale" name="locale" label={w.t('locale')} options={LOCALE_NAMES} selected={choice.locale} />
        <button type="submit">{w.t('open')}</button>
      </form>
      <h2>
        {w.event(choice.eventKind)} · {w.channel(choice.channel)} · {choice.locale.toUpperCase()} ({template.custom ? w.t('custom') : w.t('default')})
      </h2>
      <Notice ok={outcome.ok} error={outcome.error} />
      {outcome.replan !== undefined ? <Replan w={w} progress={outcome.replan} /> : null}
      <div class="editor">
        <form method="post" action="/console/templates" id="template-form" data-event={choice.eventKind} data-channel={choice.channel} data-locale={choice.locale}>
          <Csrf csrf={csrf} />
          <input type="hidden" name="eventKind" value={choice.eventKind} />
          <input type="hidden" name="channel" value={choice.channel} />
          <input type="hidden" name="locale" value={choice.locale} />
          {choice.channel === 'email' ? (
            <div class="field">
              <label for="t-subject">{w.t('subject')}</label>
              <div class="tag-editor single">
                <div class="tag-mirror" id="t-subject-mirror" aria-hidden="true"></div>
                <input id="t-subject" name="subject" value={template.subject ?? ''} spellcheck={false} aria-describedby={`t-live${fields.has('subject') ? ' t-subject-error' : ''}`} />
              </div>
              <FieldError id="t-subject" message={fields.get('subject')} />
            </div>
          ) : null}
          <div class="field">
            <label for="t-body">{w.t('body')}</label>
            {/* The refused tags are marked in the text itself: a mirror of the text behind the
                (transparent) textarea, with each refused tag in a <mark>. */}
            <div class="tag-editor">
              <div class="tag-mirror" id="t-body-mirror" aria-hidden="true"></div>
              <textarea id="t-body" name="body" rows={10} spellcheck={false} aria-describedby={`t-live${fields.has('body') ? ' t-body-error' : ''}`}>
                {template.body}
              </textarea>
            </div>
            <FieldError id="t-body" message={fields.get('body')} />
          </div>
          <div id="t-live" class="live" aria-live="polite"></div>
          <div class="field">
            <label for="t-appointment">{w.t('previewOn')}</label>
            {props.appointments.length > 0 ? (
              <select id="t-appointment" name="appointmentId">
                {props.appointments.map((a) => (
                  <option value={a.id}>
                    {a.id} · {formatWhen(w, a.startAt, props.timeZone)}
                  </option>
                ))}
              </select>
            ) : (
              <p class="hint">{w.t('noAppointments')}</p>
            )}
          </div>
          <div class="buttons">
            <button type="submit">{w.t('save')}</button>
            <button type="button" id="t-preview-button">
              {w.t('preview')}
            </button>
            {template.custom ? (
              <button type="submit" formaction="/console/templates/reset">
                {w.t('reset')}
              </button>
            ) : null}
          </div>
          <section aria-labelledby="t-preview-h">
            <h3 id="t-preview-h">{w.t('preview')}</h3>
            <div id="t-preview" class="preview" aria-live="polite"></div>
          </section>
        </form>
        <aside aria-labelledby="legend-h" class="legend">
          <h3 id="legend-h">{w.t('legend')}</h3>
          {props.legend.groups.map((g) => {
            const tags = usable.filter((p) => p.group === g.group);
            return tags.length === 0 ? null : (
              <details open={g.group === 'patient' || g.group === 'appointment'}>
                <summary>{g.label[loc]}</summary>
                <ul>
                  {tags.map((p) => (
                    <li>
                      <button type="button" class="insert-tag" data-tag={p.tag} aria-label={`${w.t('insert')} ${p.tag}: ${p.description[loc]}`}>
                        {p.tag}
                      </button>{' '}
                      {p.description[loc]}
                    </li>
                  ))}
                </ul>
              </details>
            );
          })}
        </aside>
      </div>
      <JsonData id="template-words" data={{ segments: w.t('segments'), credits: w.t('creditsNeeded') }} />
    </Layout>
  );
}

/** As you type: the tags the API would refuse (the same validateTemplate), and the SMS segments and credits. */
async function check(api: ConsoleApi, choice: Choice, input: { subject?: string | null; body: string; appointmentId?: string }) {
  const errors = [
    ...(choice.channel === 'email' && input.subject ? [input.subject] : []).flatMap((text) => {
      const r = validateTemplate(text, choice);
      return r.ok ? [] : r.errors.map((e) => ({ field: 'subject', tag: e.tag, message: e.message, index: e.index }));
    }),
    ...(() => {
      const r = validateTemplate(input.body, choice);
      return r.ok ? [] : r.errors.map((e) => ({ field: 'body', tag: e.tag, message: e.message, index: e.index }));
    })(),
  ];
  let preview: { subject: string | null; body: string } | null = null;
  let previewError: string | null = null;
  if (input.appointmentId && errors.length === 0 && input.body.trim() !== '') {
    const answer = await api.call('POST', `${pathOf(choice)}/preview`, {
      appointmentId: input.appointmentId,
      body: input.body,
      ...(choice.channel === 'email' ? { subject: input.subject ?? '' } : {}),
    });
    if (answer.status === 200) preview = { subject: answer.body.subject, body: answer.body.body };
    else previewError = problemsOf(answer).detail;
  }
  // Rendered text when there is a preview (tags filled in), else the template as typed.
  const counted = preview?.body ?? input.body;
  const sms = smsSegments(counted);
  const prices = (await api.read('/credits')).prices;
  return {
    errors,
    preview,
    previewError,
    segments: choice.channel === 'sms' ? sms.segments : null,
    encoding: choice.channel === 'sms' ? sms.encoding : null,
    credits: messageCost({ channel: choice.channel, segments: sms.segments, prices }),
  };
}

export function templateRoutes(app: Hono<ConsoleEnv>, deps: PageDeps & { withReplan: WithReplan }): void {
  async function page(c: ConsoleContext, choice: Choice, outcome: Outcome, typed?: { subject: string | null; body: string }, status: 200 | 400 = 200) {
    const api = deps.api(c);
    const [template, legend, appointments, center] = await Promise.all([api.read(pathOf(choice)), api.read('/placeholders'), api.read('/appointments?limit=50'), api.read('/center')]);
    return c.html(
      <TemplatesPage
        ctx={deps.ctxOf(c)}
        choice={choice}
        template={typed ? { ...typed, custom: template.custom } : template}
        legend={legend}
        appointments={appointments.data}
        timeZone={center.timeZone}
        outcome={outcome}
      />,
      status,
    );
  }

  app.get('/templates', (c) => page(c, choiceOf(c.req.query()), {}));

  app.post('/templates', async (c) => {
    const form = await c.req.parseBody();
    const choice = choiceOf(form as Record<string, string>);
    const subject = choice.channel === 'email' ? String(form.subject ?? '') : null;
    const body = String(form.body ?? '');
    const [answer, replan] = await deps.withReplan(c, () => deps.api(c).call('PUT', pathOf(choice), { ...(subject === null ? {} : { subject }), body }));
    const problems = problemsOf(answer);
    if (problems.detail) return page(c, choice, { error: problems.detail, fields: problems.fields }, { subject, body }, 400);
    return page(c, choice, { ok: c.var.w.t('saved'), replan });
  });

  app.post('/templates/reset', async (c) => {
    const choice = choiceOf((await c.req.parseBody()) as Record<string, string>);
    const [, replan] = await deps.withReplan(c, () => deps.api(c).call('DELETE', pathOf(choice)));
    return page(c, choice, { ok: c.var.w.t('saved'), replan });
  });

  app.post('/templates/check', async (c) => {
    const input = (await c.req.json()) as Record<string, unknown>;
    const choice = choiceOf(input as Record<string, string>);
    const body = typeof input.body === 'string' ? input.body : '';
    const subject = typeof input.subject === 'string' ? input.subject : null;
    const appointmentId = typeof input.appointmentId === 'string' && input.appointmentId !== '' ? input.appointmentId : undefined;
    return c.json(await check(deps.api(c), choice, { subject, body, ...(appointmentId ? { appointmentId } : {}) }));
  });
}
