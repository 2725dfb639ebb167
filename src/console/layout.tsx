import type { Child } from 'hono/jsx';
import type { ConsoleSession } from '../db/entities/index.js';
import type { FanoutProgress } from '../db/policy-fanouts.js';
import type { Words } from './i18n.js';
import { CSRF_FIELD } from './session.js';

export type Section = 'settings' | 'templates' | 'messages' | 'timeline' | 'credits' | 'alerts';

const NAV: Section[] = ['settings', 'templates', 'messages', 'timeline', 'credits', 'alerts'];
const HREF: Record<Section, string> = {
  settings: '/console',
  templates: '/console/templates',
  messages: '/console/messages',
  timeline: '/console/timeline',
  credits: '/console/credits',
  alerts: '/console/alerts',
};

export interface PageContext {
  w: Words;
  csrf: string;
  session: ConsoleSession;
}

/** The hidden CSRF field every console form carries. */
export const Csrf = ({ csrf }: { csrf: string }) => <input type="hidden" name={CSRF_FIELD} value={csrf} />;

/** Every page: skip link, navigation, the session's name, language switch, sign-out. Titles never hold patient data. */
export function Layout(props: { ctx: PageContext; section: Section; children: Child; scripts?: string[] }) {
  const { w, csrf, session } = props.ctx;
  return (
    <html lang={w.locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csrf-token" content={csrf} />
        <title>{`${w.t(props.section)} · ${w.t('title')}`}</title>
        <link rel="stylesheet" href="/console/static/console.css" />
        <link rel="stylesheet" href="/console/static/uPlot.min.css" />
      </head>
      <body>
        <a class="skip" href="#main">{w.t('skip')}</a>
        <header>
          <span class="brand">{w.t('title')}</span>
          <nav aria-label={w.t('title')}>
            <ul>
              {NAV.map((s) => (
                <li>
                  <a href={HREF[s]} aria-current={s === props.section ? 'page' : undefined}>
                    {w.t(s)}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div class="who">
            <span>
              {w.t('signedInAs')} {session.staffName}
            </span>
            <form method="post" action="/console/language" class="inline">
              <Csrf csrf={csrf} />
              <input type="hidden" name="section" value={props.section} />
              <label>
                <span class="sr-only">{w.t('language')}</span>
                <select name="locale" aria-label={w.t('language')}>
                  <option value="it" selected={w.locale === 'it'}>
                    Italiano
                  </option>
                  <option value="en" selected={w.locale === 'en'}>
                    English
                  </option>
                </select>
              </label>
              <button type="submit">{w.t('save')}</button>
            </form>
            <form method="post" action="/console/logout" class="inline">
              <Csrf csrf={csrf} />
              <button type="submit">{w.t('logout')}</button>
            </form>
          </div>
        </header>
        <main id="main" tabindex={-1}>
          <h1>{w.t(props.section)}</h1>
          {props.children}
        </main>
        {(props.scripts ?? []).map((src) => (
          <script src={src} defer></script>
        ))}
        <script src="/console/static/console.js" defer></script>
      </body>
    </html>
  );
}

/** A field's API validation message, tied to the field by aria-describedby. */
export function FieldError(props: { id: string; message: string | undefined }) {
  return props.message ? (
    <span class="field-error" id={`${props.id}-error`} role="alert">
      {props.message}
    </span>
  ) : null;
}

/**
 * A data table that scrolls inside its own region when it is wider than the screen (a tablet), so
 * the page itself never scrolls sideways; focusable, so the keyboard can scroll it too.
 */
export function TableRegion(props: { label: string; children: Child }) {
  return (
    <div class="table-scroll" role="region" aria-label={props.label} tabindex={0}>
      {props.children}
    </div>
  );
}

/** JSON for the client script, in a non-executable script element. */
export function JsonData(props: { id: string; data: unknown }) {
  const json = JSON.stringify(props.data).replace(/</g, '\\u003c');
  return <script type="application/json" id={props.id} dangerouslySetInnerHTML={{ __html: json }}></script>;
}

export function Notice(props: { ok?: string | null | undefined; error?: string | null | undefined }) {
  if (props.error) return <p class="notice error" role="alert">{props.error}</p>;
  if (props.ok) return <p class="notice ok" role="status">{props.ok}</p>;
  return null;
}

/**
 * X3: how far the re-planning of a saved change has come. The fan-out runs after the commit
 * (through the outbox), so the page polls /console/replan/:version until it is done.
 */
export function Replan(props: { w: Words; progress: FanoutProgress | null }) {
  const { w, progress } = props;
  if (!progress) return <p id="replan" class="notice ok" role="status">{w.t('replanNone')}</p>;
  return (
    <p id="replan" class="notice ok" role="status" aria-live="polite" data-version={String(progress.settingsVersion)} data-state={progress.state}>
      {replanText(w, progress)}
    </p>
  );
}

export const replanText = (w: Words, p: FanoutProgress) =>
  p.state === 'waiting'
    ? w.t('replanWaiting')
    : w.t(p.state === 'done' ? 'replanDone' : 'replanRunning').replace('{n}', String(p.signalled)).replace('{total}', String(p.total ?? 0));

/** A labelled select; `blank` adds a first choice with the empty value (e.g. "All"). */
export function SelectField(props: { id: string; name: string; label: string; options: readonly (readonly [string, string])[]; selected: string | undefined; blank?: string }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} name={props.name}>
        {props.blank !== undefined ? <option value="">{props.blank}</option> : null}
        {props.options.map(([value, label]) => (
          <option value={value} selected={value === props.selected}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A date and time in the console's language and the center's time zone. */
export const formatWhen = (w: Words, iso: string, timeZone: string) =>
  new Date(iso).toLocaleString(w.locale === 'it' ? 'it-IT' : 'en-GB', { dateStyle: 'short', timeStyle: 'short', timeZone });
