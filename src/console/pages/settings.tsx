import { z } from 'zod';
import { CHANNELS, EVENT_KINDS, type Channel, type EventKind } from '../../domain/events.js';
import { eventOptionSchemas } from '../../domain/policy.js';
import type { FanoutProgress } from '../../db/policy-fanouts.js';
import { Csrf, FieldError, Layout, Notice, Replan, type PageContext } from '../layout.js';

export interface EventSettingView {
  eventKind: EventKind;
  channels: Channel[];
  options: Record<string, unknown>;
  custom: boolean;
}

export interface Outcome {
  ok?: string | null;
  error?: string | null;
  fields?: Map<string, string>;
  /** Which form the outcome belongs to. */
  form?: string;
  /** X3: the re-planning the change started (null: it needed none; absent: no change made). */
  replan?: FanoutProgress | null;
}

const SENDERS = ['emailFromName', 'emailFromAddress', 'emailReplyTo', 'smsSenderId', 'voiceCallerNumber'] as const;

/** Configure: master switch, privacy, senders, the event × channel matrix (A1, A2, C2, A4-read). */
export function SettingsPage(props: { ctx: PageContext; center: any; settings: EventSettingView[]; outcome: Outcome }) { // eslint-disable-line @typescript-eslint/no-explicit-any
  const { w, csrf } = props.ctx;
  const { center, outcome } = props;
  const fields = outcome.fields ?? new Map<string, string>();
  const check = (name: string, label: string, checked: boolean) => (
    <div class="check">
      <input type="checkbox" id={name} name={name} value="on" checked={checked} aria-describedby={fields.has(name) ? `${name}-error` : undefined} />
      <label for={name}>{label}</label>
      <FieldError id={name} message={fields.get(name)} />
    </div>
  );
  return (
    <Layout ctx={props.ctx} section="settings">
      <section aria-labelledby="center-h">
        <h2 id="center-h">{w.t('center')}</h2>
        {outcome.form === 'center' ? <Notice ok={outcome.ok} error={outcome.error} /> : null}
        {outcome.form === 'center' && outcome.replan !== undefined ? <Replan w={w} progress={outcome.replan} /> : null}
        <form method="post" action="/console/center">
          <Csrf csrf={csrf} />
          {check('communicationsEnabled', w.t('masterSwitch'), center.communicationsEnabled)}
          {check('privacyRequired', w.t('privacyRequired'), center.privacyRequired)}
          {check('readTracking', w.t('readTracking'), center.readTracking)}
          <fieldset>
            <legend>{w.t('senders')}</legend>
            {SENDERS.map((name) => (
              <div class="field">
                <label for={name}>{w.t(name)}</label>
                <input id={name} name={name} value={center.senders[name] ?? ''} aria-describedby={fields.has(`senders.${name}`) ? `${name}-error` : undefined} />
                <FieldError id={name} message={fields.get(`senders.${name}`)} />
              </div>
            ))}
          </fieldset>
          <button type="submit">{w.t('save')}</button>
        </form>
      </section>
      <section aria-labelledby="matrix-h">
        <h2 id="matrix-h">{w.t('matrix')}</h2>
        {outcome.form === 'matrix' ? <Notice ok={outcome.ok} error={outcome.error} /> : null}
        {outcome.form === 'matrix' && outcome.replan !== undefined ? <Replan w={w} progress={outcome.replan} /> : null}
        <table class="matrix">
          <thead>
            <tr>
              <th scope="col">{w.t('event')}</th>
              {CHANNELS.map((ch) => (
                <th scope="col">{w.channel(ch)}</th>
              ))}
              <th scope="col">
                <span class="sr-only">{w.t('save')}</span>
              </th>
              <th scope="col">{w.t('options')}</th>
            </tr>
          </thead>
          <tbody>
            {props.settings.map((s) => (
              <tr>
                <th scope="row">{w.event(s.eventKind)}</th>
                {CHANNELS.map((ch) => (
                  <td>
                    <input
                      type="checkbox"
                      form={`m-${s.eventKind}`}
                      name="channels"
                      value={ch}
                      checked={s.channels.includes(ch)}
                      aria-label={`${w.event(s.eventKind)}: ${w.channel(ch)}`}
                    />
                  </td>
                ))}
                <td>
                  <form method="post" action={`/console/matrix/${s.eventKind}`} id={`m-${s.eventKind}`}>
                    <Csrf csrf={csrf} />
                    <button type="submit" aria-label={`${w.t('save')}: ${w.event(s.eventKind)}`}>
                      {w.t('save')}
                    </button>
                  </form>
                </td>
                <td>
                  {Object.keys(s.options).length > 0 ? (
                    <a href={`/console/events/${s.eventKind}`} aria-label={`${w.t('options')}: ${w.event(s.eventKind)}`}>
                      {w.t('options')}
                    </a>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}

/** Which input an option takes, read from the same zod schema the API validates with. */
type OptionInput = { kind: 'boolean' } | { kind: 'number'; nullable: boolean } | { kind: 'text'; nullable: boolean } | { kind: 'enum'; values: string[] } | { kind: 'numbers' } | { kind: 'hours' };

function inputOf(name: string, schema: z.ZodType): OptionInput {
  let s: z.ZodType = schema;
  let nullable = false;
  for (;;) {
    if (s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodNullable) {
      nullable = true;
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else break;
  }
  if (name === 'sendingHours') return { kind: 'hours' };
  if (s instanceof z.ZodBoolean) return { kind: 'boolean' };
  if (s instanceof z.ZodNumber) return { kind: 'number', nullable };
  if (s instanceof z.ZodEnum) return { kind: 'enum', values: s.options.map(String) };
  if (s instanceof z.ZodArray) return { kind: 'numbers' };
  return { kind: 'text', nullable };
}

function optionInputs(kind: EventKind): [string, OptionInput][] {
  const schema = eventOptionSchemas[kind] as unknown as z.ZodObject;
  return Object.entries(schema.shape).map(([name, s]) => [name, inputOf(name, s as z.ZodType)]);
}

const WEEKDAYS = ['1', '2', '3', '4', '5', '6', '7'] as const;

/**
 * The options form's fields as the API's JSON. Only turns text into values (numbers, lists,
 * windows): whether they are allowed is the API's answer, shown next to the field.
 */
export function optionsFromForm(kind: EventKind, form: Record<string, string | string[]>): Record<string, unknown> {
  const one = (name: string) => {
    const v = form[name];
    return (Array.isArray(v) ? v[0] : v)?.trim() ?? '';
  };
  const out: Record<string, unknown> = {};
  for (const [name, input] of optionInputs(kind)) {
    const raw = one(name);
    switch (input.kind) {
      case 'boolean':
        out[name] = raw === 'on';
        break;
      case 'number':
        out[name] = raw === '' ? (input.nullable ? null : undefined) : Number(raw);
        break;
      case 'text':
        out[name] = raw === '' && input.nullable ? null : raw;
        break;
      case 'enum':
        out[name] = raw;
        break;
      case 'numbers':
        out[name] = raw === '' ? [] : raw.split(/[,;\s]+/).filter(Boolean).map(Number);
        break;
      case 'hours': {
        // Pairs of time inputs per weekday; a pair left blank is no window (half a pair goes to the API, which names the field).
        const all = (field: string) => ([] as string[]).concat(form[field] ?? []).map((v) => v.trim());
        const days: Record<string, { from: string; to: string }[]> = {};
        for (const day of WEEKDAYS) {
          const froms = all(`${name}.${day}.from`);
          const tos = all(`${name}.${day}.to`);
          const windows = froms.map((from, i) => ({ from, to: tos[i] ?? '' })).filter((w) => w.from !== '' || w.to !== '');
          if (windows.length > 0) days[day] = windows;
        }
        out[name] = Object.keys(days).length === 0 ? null : days;
        break;
      }
    }
  }
  return out;
}

type Hours = Record<string, { from: string; to: string }[]> | null | undefined;
const MAX_WINDOWS = 4;

/**
 * B2-hours: each weekday's sending windows as pairs of time inputs. The saved windows plus one
 * blank pair (so a window can be added without script); the script adds and removes pairs.
 */
function HoursEditor(props: { w: PageContext['w']; name: string; value: Hours; fields: Map<string, string> }) {
  const { w, name, fields } = props;
  const days = w.t('weekdays').split(',');
  // Errors on a weekday's window ("options.sendingHours.1.0.from") show on that weekday.
  const dayError = (day: string) => [...fields].filter(([k]) => k.startsWith(`options.${name}.${day}`)).map(([, m]) => m).join('; ') || undefined;
  return (
    <fieldset class="hours" aria-describedby="hours-hint">
      <legend>{w.option(name)}</legend>
      <p class="hint" id="hours-hint">
        {w.t('hoursHint')}
      </p>
      {WEEKDAYS.map((day, d) => {
        const saved = props.value?.[day] ?? [];
        const windows = saved.length < MAX_WINDOWS ? [...saved, { from: '', to: '' }] : saved;
        const error = dayError(day);
        const errorId = `hours-${day}-error`;
        return (
          <div class="day" role="group" aria-labelledby={`hours-${day}`} data-day={day} data-max={String(MAX_WINDOWS)}>
            <span class="day-name" id={`hours-${day}`}>
              {days[d]}
            </span>
            <div class="windows">
              {windows.map((win, i) => (
                <div class="window">
                  <input
                    type="time"
                    name={`${name}.${day}.from`}
                    value={win.from}
                    aria-label={`${days[d]}, ${w.t('windowN')} ${i + 1}: ${w.t('windowFrom')}`}
                    aria-invalid={error ? 'true' : undefined}
                    aria-describedby={error ? errorId : undefined}
                  />
                  <span aria-hidden="true">–</span>
                  <input
                    type="time"
                    name={`${name}.${day}.to`}
                    value={win.to}
                    aria-label={`${days[d]}, ${w.t('windowN')} ${i + 1}: ${w.t('windowTo')}`}
                    aria-invalid={error ? 'true' : undefined}
                    aria-describedby={error ? errorId : undefined}
                  />
                  <button type="button" class="remove-window" aria-label={`${w.t('removeWindow')} ${i + 1}: ${days[d]}`}>
                    ×
                  </button>
                </div>
              ))}
            </div>
            <button type="button" class="add-window" aria-label={`${w.t('addWindow')}: ${days[d]}`} hidden={windows.length >= MAX_WINDOWS}>
              + {w.t('windowN')}
            </button>
            <FieldError id={`hours-${day}`} message={error} />
          </div>
        );
      })}
    </fieldset>
  );
}

/** One event's options (B2-rem, B2-confirm, B2-second, B2-min, B2-day, B2-hours, B2-recall, B3, B1 online-only). */
export function EventOptionsPage(props: { ctx: PageContext; setting: EventSettingView; outcome: Outcome }) {
  const { w, csrf } = props.ctx;
  const { setting, outcome } = props;
  const fields = outcome.fields ?? new Map<string, string>();
  const described = (id: string, key: string) => (fields.has(key) ? `${id}-error` : undefined);
  return (
    <Layout ctx={props.ctx} section="settings">
      <h2>{w.event(setting.eventKind)}</h2>
      <Notice ok={outcome.ok} error={outcome.error} />
      {outcome.replan !== undefined ? <Replan w={w} progress={outcome.replan} /> : null}
      <form method="post" action={`/console/events/${setting.eventKind}`}>
        <Csrf csrf={csrf} />
        {optionInputs(setting.eventKind).map(([name, input]) => {
          const value = setting.options[name];
          const id = `opt-${name}`;
          const key = `options.${name}`;
          if (input.kind === 'boolean')
            return (
              <div class="check">
                <input type="checkbox" id={id} name={name} value="on" checked={value === true} aria-describedby={described(id, key)} />
                <label for={id}>{w.option(name)}</label>
                <FieldError id={id} message={fields.get(key)} />
              </div>
            );
          if (input.kind === 'enum')
            return (
              <div class="field">
                <label for={id}>{w.option(name)}</label>
                <select id={id} name={name} aria-describedby={described(id, key)}>
                  {input.values.map((v) => (
                    <option value={v} selected={v === value}>
                      {w.optionValue(name, v)}
                    </option>
                  ))}
                </select>
                <FieldError id={id} message={fields.get(key)} />
              </div>
            );
          if (input.kind === 'hours') return <HoursEditor w={w} name={name} value={value as Hours} fields={fields} />;
          const text = Array.isArray(value) ? value.join(', ') : value === null || value === undefined ? '' : String(value);
          return (
            <div class="field">
              <label for={id}>
                {w.option(name)}
                {input.kind === 'numbers' ? <span class="hint"> ({w.t('listHint')})</span> : null}
              </label>
              <input id={id} name={name} value={text} inputmode={input.kind === 'number' ? 'numeric' : undefined} aria-describedby={described(id, key)} />
              <FieldError id={id} message={[...fields].filter(([k]) => k === key || k.startsWith(`${key}.`)).map(([, m]) => m).join('; ') || undefined} />
            </div>
          );
        })}
        <button type="submit">{w.t('save')}</button>
      </form>
      <p>
        <a href="/console">{w.t('matrix')}</a>
      </p>
    </Layout>
  );
}

export const isEventKind = (value: string): value is EventKind => (EVENT_KINDS as readonly string[]).includes(value);
