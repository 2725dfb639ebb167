import { DateTime, IANAZone } from 'luxon';
import type { Channel, EventKind, Locale } from './events.js';
import type { RenderContext } from './render-context.js';

/**
 * Template placeholders (A4-tags): the `[TRDn]` tags of the original product, with the same
 * numbers so a clinic's existing texts keep working, plus a few named tags for what the original
 * did not have (links, delay, notices, passwords).
 *
 * Syntax: a tag is written in square brackets with no spaces, `[TRD3]`, `[CONFIRM_URL]`. Tags are
 * matched case-insensitively (`[trd3]` works): a clinic pasting from an old text should not be
 * refused for the case of a letter. Bracketed prose that does not look like a tag (`[nota]`,
 * `[1]`) is left alone; anything that looks like a tag but is unknown or misspelt is refused by
 * `validateTemplate` when the template is saved, never at send time.
 */

export const PLACEHOLDER_GROUPS = ['center', 'patient', 'resource', 'appointment', 'location', 'message'] as const;
export type PlaceholderGroup = (typeof PLACEHOLDER_GROUPS)[number];

/** Group titles for the legend, as the original's drop-down names them. */
export const PLACEHOLDER_GROUP_LABELS: Record<PlaceholderGroup, { it: string; en: string }> = {
  center: { it: 'Centro', en: 'Center' },
  patient: { it: 'Cliente', en: 'Patient' },
  resource: { it: 'Risorsa', en: 'Resource' },
  appointment: { it: 'Appuntamento', en: 'Appointment' },
  location: { it: 'Agenda / sede', en: 'Agenda / location' },
  message: { it: 'Messaggio', en: 'Message' },
};

export interface Placeholder<N extends string = string> {
  /** As written in a template, e.g. "[TRD3]". */
  tag: `[${N}]`;
  name: N;
  group: PlaceholderGroup;
  description: { it: string; en: string };
  /** The events whose messages have a value for it; null = every event. */
  events: readonly EventKind[] | null;
  /** A link: it cannot be spoken, so voice templates may not use it. */
  isLink: boolean;
}

function tag<N extends string>(
  name: N,
  group: PlaceholderGroup,
  it: string,
  en: string,
  more: { events?: readonly EventKind[]; isLink?: boolean } = {},
): Placeholder<N> {
  return { tag: `[${name}]`, name, group, description: { it, en }, events: more.events ?? null, isLink: more.isLink ?? false };
}

const REMINDERS = ['appointment.reminder', 'appointment.second_reminder'] as const satisfies readonly EventKind[];
const PATIENT_EVENTS = [
  'appointment.created',
  'appointment.modified',
  'appointment.cancelled',
  'appointment.reminder',
  'appointment.second_reminder',
  'appointment.post_visit',
  'recall',
  'alert.delay',
  'alert.cancellation',
] as const satisfies readonly EventKind[];

/** The legend (served by the legend endpoint), in the original's order. */
export const PLACEHOLDERS = [
  tag('TRD0', 'center', 'Nome del centro', 'Center name'),
  tag('TRD1', 'center', 'Telefono del centro', 'Center phone'),
  tag('TRD38', 'center', 'Sito web del centro', 'Center website'),
  tag('TRD3', 'patient', 'Nome del cliente', 'Patient first name'),
  tag('TRD4', 'patient', 'Cognome del cliente', 'Patient last name'),
  tag('TRD35', 'patient', 'Cellulare del cliente', 'Patient mobile number'),
  tag('TRD36', 'patient', 'Indirizzo del cliente', 'Patient address'),
  tag('TRD5', 'resource', 'Nome completo della risorsa (medico)', 'Resource (doctor) full name'),
  tag('TRD6', 'resource', 'Indirizzo della risorsa', 'Resource address'),
  tag('TRD7', 'resource', 'Telefono della risorsa', 'Resource phone'),
  tag('TRD8', 'appointment', "Data dell'appuntamento (gg/mm/aaaa)", 'Appointment date (dd/mm/yyyy)'),
  tag('TRD26', 'appointment', "Data dell'appuntamento (gg/mm)", 'Appointment date (dd/mm)'),
  tag('TRD31', 'appointment', 'Data estesa (Lunedì 3 Giugno)', 'Long date (Monday 3 June)'),
  tag('TRD32', 'appointment', 'Mese (Giugno)', 'Month (June)'),
  tag('TRD25', 'appointment', 'Giorno della settimana (Lunedì)', 'Weekday (Monday)'),
  tag('TRD33', 'appointment', 'Giorno del mese (numero)', 'Day of the month (number)'),
  tag('TRD9', 'appointment', 'Ora di inizio (09:30)', 'Start time (09:30)'),
  tag('TRD10', 'appointment', 'Ora di fine (10:00)', 'End time (10:00)'),
  tag('TRD11', 'appointment', 'Prestazione', 'Service'),
  tag('TRD12', 'appointment', 'Prezzo della prestazione (80,00 €)', 'Service price (€80.00)'),
  tag('TRD13', 'appointment', 'Durata della prestazione (1 h 30 min)', 'Service duration (1 h 30 min)'),
  tag('TRD14', 'appointment', "Note dell'appuntamento", 'Appointment notes'),
  tag(
    'TRD23',
    'appointment',
    'Preparazione alla prestazione (solo se nella prestazione è attivo "Invia ai clienti")',
    'Preparation instructions (only when the service has "send to patients" on)',
  ),
  tag('TRD37', 'appointment', 'Gruppo', 'Group'),
  tag('TRD39', 'appointment', 'Tariffario', 'Price list'),
  tag('TRD24', 'location', 'Note della sede (es. "Si registri alla reception")', 'Location notes (e.g. "please register at reception")'),
  tag('TRD27', 'location', 'Sede', 'Site'),
  tag('TRD28', 'location', 'Località', 'Locality (town)'),
  tag('TRD29', 'location', 'Telefono della sede', 'Location phone'),
  tag('TRD30', 'location', 'Indirizzo della sede', 'Location address'),
  tag('CONFIRM_URL', 'message', "Link per confermare l'appuntamento (promemoria con richiesta di conferma)", 'Link to confirm the appointment (reminder asking for confirmation)', { events: REMINDERS, isLink: true }),
  tag('CANCEL_URL', 'message', "Link per disdire l'appuntamento (promemoria con richiesta di conferma)", 'Link to cancel the appointment (reminder asking for confirmation)', { events: REMINDERS, isLink: true }),
  tag('SETUP_URL', 'message', "Link per creare l'account o impostare la password (richiami, invio password)", 'Link to create the account or set the password (recalls, password message)', { events: ['recall', 'password'], isLink: true }),
  tag('SURVEY_URL', 'message', 'Link al questionario di soddisfazione (messaggio dopo la visita)', 'Link to the satisfaction survey (after-visit message)', { events: ['appointment.post_visit'], isLink: true }),
  tag('UNSUBSCRIBE_URL', 'message', 'Link per non ricevere più comunicazioni', 'Link to stop receiving messages', { events: PATIENT_EVENTS, isLink: true }),
  tag('DELAY_MINUTES', 'message', 'Minuti di ritardo (avviso di ritardo)', 'Minutes of delay (delay alert)', { events: ['alert.delay'] }),
  tag('NOTICE', 'message', "Testo dell'avviso agli amministratori", 'Text of the notice to the admins', { events: ['center.notice'] }),
  tag('PASSWORD', 'message', 'Password (messaggio di invio password; nascosta nella copia archiviata)', 'Password (password message; hidden in the stored copy)', { events: ['password'] }),
] as const;

export type PlaceholderName = (typeof PLACEHOLDERS)[number]['name'];

const BY_NAME: ReadonlyMap<string, Placeholder> = new Map(PLACEHOLDERS.map((p) => [p.name, p]));

/** What `[PASSWORD]` and `[SETUP_URL]` become in the stored copy of a message (B7). */
export const REDACTED = '••••••';

// ---------------------------------------------------------------------------------------------
// Scanning

type Token =
  | { kind: 'text'; text: string; index: number }
  | { kind: 'tag'; name: PlaceholderName; raw: string; index: number }
  | { kind: 'unknown'; raw: string; index: number }
  | { kind: 'malformed'; raw: string; index: number; message: string };

const UPPER_WORD = /^[A-Z][A-Z0-9]+$/;
const SNAKE_WORD = /^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+$/;

function knownName(s: string): PlaceholderName | null {
  const p = BY_NAME.get(s.toUpperCase());
  return p ? (p.name as PlaceholderName) : null;
}

/** Would this bracket content be meant as a tag? `[FOO]`, `[NEW_TAG]`, `[trd3]` yes; `[nota]`, `[1]` no. */
function looksLikeTag(s: string): boolean {
  return knownName(s) !== null || /^trd/i.test(s) || UPPER_WORD.test(s) || SNAKE_WORD.test(s);
}

/** "write it as [TRD3]" when the intended tag is recognisable. */
function suggestion(s: string): string {
  const compact = s.replace(/[\s\-.]+/g, '').toUpperCase();
  const snake = s.trim().replace(/[\s-]+/g, '_').toUpperCase();
  const known = knownName(compact) ?? knownName(snake);
  return known ? `write it as [${known}]` : 'placeholders are written like [TRD3] or [CONFIRM_URL], with no spaces';
}

function classifyBracket(raw: string, index: number): Token | null {
  const inner = raw.slice(1, -1);
  const trimmed = inner.trim();
  if (inner === trimmed) {
    const name = knownName(inner);
    if (name) return { kind: 'tag', name, raw, index };
    if (/^TRD\d+$/i.test(inner)) return { kind: 'unknown', raw, index };
  }
  if (/^trd/i.test(trimmed) || (inner !== trimmed && looksLikeTag(trimmed))) {
    return { kind: 'malformed', raw, index, message: `Malformed placeholder ${raw}: ${suggestion(trimmed)}.` };
  }
  if (looksLikeTag(inner)) return { kind: 'unknown', raw, index };
  return null;
}

/** Splits one line into text and tag tokens. Tags never span lines. */
function scanLine(line: string, offset: number): Token[] {
  const tokens: Token[] = [];
  let textStart = 0;
  let at = 0;
  const pushText = (end: number) => {
    if (end > textStart) tokens.push({ kind: 'text', text: line.slice(textStart, end), index: offset + textStart });
  };
  for (let open = line.indexOf('[', at); open !== -1; open = line.indexOf('[', at)) {
    const close = line.indexOf(']', open + 1);
    const nextOpen = line.indexOf('[', open + 1);
    if (close !== -1 && (nextOpen === -1 || close < nextOpen)) {
      const raw = line.slice(open, close + 1);
      const token = classifyBracket(raw, offset + open);
      at = close + 1;
      if (!token) continue;
      pushText(open);
      tokens.push(token);
      textStart = at;
      continue;
    }
    // No "]" before the next "[" or the end of the line: "[TRD3 alle 9".
    const head = /^\s*[A-Za-z0-9_]+/.exec(line.slice(open + 1))?.[0];
    at = open + 1;
    if (head && looksLikeTag(head.trim())) {
      const raw = `[${head}`;
      pushText(open);
      tokens.push({ kind: 'malformed', raw, index: offset + open, message: `Malformed placeholder ${raw}: the closing "]" is missing; ${suggestion(head)}.` });
      at = open + raw.length;
      textStart = at;
    }
  }
  pushText(line.length);
  return tokens;
}

function scan(text: string): Token[][] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let offset = 0;
  return lines.map((line) => {
    const tokens = scanLine(line, offset);
    offset += line.length + 1;
    return tokens;
  });
}

/** Tags written without brackets or with one bracket missing: "TRD3", "TRD3]", "CONFIRM_URL". */
function strayTags(token: Extract<Token, { kind: 'text' }>): Token[] {
  const found: Token[] = [];
  const patterns = [
    /(?<![A-Za-z0-9_])TRD[ \t]*\d+\]?/gi,
    /(?<![A-Za-z0-9_])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\]?/g,
    /(?<![A-Za-z0-9_])[A-Z][A-Z0-9]+\]/g,
  ];
  const seen = new Set<number>();
  for (const re of patterns) {
    for (const m of token.text.matchAll(re)) {
      const raw = m[0];
      const at = token.index + (m.index ?? 0);
      const name = raw.endsWith(']') ? raw.slice(0, -1) : raw;
      const isTrd = /^TRD/i.test(name);
      if (seen.has(at) || (!isTrd && !raw.endsWith(']') && knownName(name) === null)) continue;
      seen.add(at);
      const why = raw.endsWith(']') ? 'the opening "[" is missing' : 'placeholders are written in square brackets';
      found.push({ kind: 'malformed', raw, index: at, message: `Malformed placeholder ${raw}: ${why}; ${suggestion(name)}.` });
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Validation

export interface TemplateError {
  /** The offending text as written, e.g. "[TRD99]", "[TRD 3]", "TRD3]". */
  tag: string;
  message: string;
  /** Offset in the text (after CRLF → LF), for highlighting. */
  index: number;
}

export type TemplateValidation = { ok: true } | { ok: false; errors: TemplateError[] };

export interface ValidateOptions {
  /** When given, a tag that has no value for this event is refused (e.g. [CONFIRM_URL] in a recall). */
  eventKind?: EventKind;
  /** When 'voice', links are refused: they cannot be spoken. */
  channel?: Channel;
}

/** A4-tags: checks a template (subject or body) before it is saved. */
export function validateTemplate(text: string, options: ValidateOptions = {}): TemplateValidation {
  const errors: TemplateError[] = [];
  for (const token of scan(text).flat()) {
    if (token.kind === 'text') {
      for (const stray of strayTags(token)) if (stray.kind === 'malformed') errors.push({ tag: stray.raw, message: stray.message, index: stray.index });
    } else if (token.kind === 'unknown') {
      errors.push({ tag: token.raw, message: `Unknown placeholder ${token.raw}: it is not in the placeholder legend.`, index: token.index });
    } else if (token.kind === 'malformed') {
      errors.push({ tag: token.raw, message: token.message, index: token.index });
    } else {
      const p = BY_NAME.get(token.name);
      if (options.eventKind && p?.events && !p.events.includes(options.eventKind)) {
        errors.push({ tag: token.raw, message: `Placeholder ${token.raw} has no value in "${options.eventKind}" messages.`, index: token.index });
      }
      if (options.channel === 'voice' && p?.isLink) {
        errors.push({ tag: token.raw, message: `Placeholder ${token.raw} is a link and cannot be spoken in a voice message.`, index: token.index });
      }
    }
  }
  errors.sort((a, b) => a.index - b.index);
  return errors.length === 0 ? { ok: true } : { ok: false, errors };
}

/** The known tags a template uses (e.g. to know whether confirm links must be made). */
export function placeholdersIn(text: string): PlaceholderName[] {
  const names = new Set<PlaceholderName>();
  for (const token of scan(text).flat()) if (token.kind === 'tag') names.add(token.name);
  return [...names];
}

// ---------------------------------------------------------------------------------------------
// Values

export interface RenderOptions {
  /** The recipient's language. */
  locale: Locale;
  /** The center's IANA time zone: dates and times are shown there. */
  timeZone: string;
  /** B7: hide [PASSWORD] and [SETUP_URL] (the copy stored in the message summary). */
  redact?: boolean;
  /**
   * Voice: render for text-to-speech (times "9 e 30" / "9:30 AM", phone numbers digit by digit,
   * "80 euro", "1 ora e 30 minuti", dates without slashes, passwords letter by letter).
   */
  spoken?: boolean;
}

const MULTILINE = new Set<PlaceholderName>(['TRD14', 'TRD23', 'TRD24', 'NOTICE']);

/** No control characters, no "null"; one line unless the field is free text. */
function clean(value: string | null | undefined, multiline: boolean): string {
  if (value === null || value === undefined) return '';
  const s = value.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
  if (!multiline) return s.replace(/\s+/g, ' ').trim();
  return s
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function capitalise(s: string, locale: Locale): string {
  return s.charAt(0).toLocaleUpperCase(locale) + s.slice(1);
}

function localTime(date: Date, o: RenderOptions): DateTime | null {
  if (Number.isNaN(date.getTime())) return null;
  return DateTime.fromJSDate(date, { zone: o.timeZone }).setLocale(o.locale === 'it' ? 'it' : 'en-GB');
}

function formatTime(t: DateTime, o: RenderOptions): string {
  if (!o.spoken) return t.toFormat('HH:mm');
  if (o.locale === 'it') return t.minute === 0 ? `${t.hour}` : `${t.hour} e ${t.minute}`;
  const h12 = t.hour % 12 === 0 ? 12 : t.hour % 12;
  const m = t.minute === 0 ? '' : `:${String(t.minute).padStart(2, '0')}`;
  return `${h12}${m} ${t.hour < 12 ? 'AM' : 'PM'}`;
}

function formatPrice(price: string, currency: string, o: RenderOptions): string {
  const raw = clean(price, false);
  if (!/^-?\d+(\.\d+)?$/.test(raw)) return raw;
  if (!/^[A-Z]{3}$/.test(currency)) throw new RangeError(`center.currency: "${currency}" is not an ISO 4217 code`);
  const n = Number(raw);
  const numberLocale = o.locale === 'it' ? 'it-IT' : 'en-GB';
  const format = o.spoken
    ? new Intl.NumberFormat(numberLocale, { style: 'currency', currency, currencyDisplay: 'name', minimumFractionDigits: Number.isInteger(n) ? 0 : 2, maximumFractionDigits: 2 })
    : new Intl.NumberFormat(numberLocale, { style: 'currency', currency });
  // Intl puts no-break spaces around the symbol; plain spaces keep SMS in the GSM alphabet.
  return format.format(n).replace(/[\u00a0\u202f]/g, ' ');
}

function formatDuration(minutes: number | null, o: RenderOptions): string {
  if (minutes === null || !Number.isFinite(minutes) || minutes <= 0) return '';
  const total = Math.round(minutes);
  const h = Math.floor(total / 60);
  const m = total % 60;
  if (!o.spoken) return [h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean).join(' ');
  const parts =
    o.locale === 'it'
      ? [h ? (h === 1 ? '1 ora' : `${h} ore`) : '', m ? (m === 1 ? '1 minuto' : `${m} minuti`) : '']
      : [h ? (h === 1 ? '1 hour' : `${h} hours`) : '', m ? (m === 1 ? '1 minute' : `${m} minutes`) : ''];
  return parts.filter(Boolean).join(o.locale === 'it' ? ' e ' : ' and ');
}

/** "06 1234 5678" → "0 6, 1 2 3 4, 5 6 7 8": a speech engine would say "milleduecento…". */
function formatPhone(phone: string | null, o: RenderOptions): string {
  const s = clean(phone, false);
  if (!o.spoken) return s;
  return s
    .split(/[\s./()-]+/)
    .filter(Boolean)
    .map((group) => [...group].join(' '))
    .join(', ');
}

function secret(value: string | null | undefined, o: RenderOptions, spell: boolean): string {
  const s = clean(value, false);
  if (!s) return '';
  if (o.redact) return REDACTED;
  return spell && o.spoken ? [...s].join(' ') : s;
}

function valueOf(name: PlaceholderName, ctx: RenderContext, o: RenderOptions): string {
  const { center, patient, resource, appointment, service, location, extra } = ctx;
  // Dates are computed only for the date tags: most tags need none.
  const start = () => (appointment ? localTime(appointment.startAt, o) : null);
  const onStart = (f: (t: DateTime) => string) => {
    const t = start();
    return t ? f(t) : '';
  };
  const weekday = (t: DateTime) => capitalise(t.toFormat('cccc'), o.locale);
  const month = (t: DateTime) => capitalise(t.toFormat('LLLL'), o.locale);
  const text = (v: string | null | undefined) => clean(v, MULTILINE.has(name));
  switch (name) {
    case 'TRD0': return text(center.name);
    case 'TRD1': return formatPhone(center.phone, o);
    case 'TRD38': return text(center.website);
    case 'TRD3': return text(patient?.firstName);
    case 'TRD4': return text(patient?.lastName);
    case 'TRD35': return formatPhone(patient?.mobile ?? null, o);
    case 'TRD36': return text(patient?.address);
    case 'TRD5': return text(resource?.name);
    case 'TRD6': return text(resource?.address);
    case 'TRD7': return formatPhone(resource?.phone ?? null, o);
    case 'TRD8': return onStart((t) => t.toFormat(o.spoken ? 'd LLLL yyyy' : 'dd/MM/yyyy'));
    case 'TRD26': return onStart((t) => t.toFormat(o.spoken ? 'd LLLL' : 'dd/MM'));
    case 'TRD31': return onStart((t) => `${weekday(t)} ${t.day} ${month(t)}`);
    case 'TRD32': return onStart(month);
    case 'TRD25': return onStart(weekday);
    case 'TRD33': return onStart((t) => String(t.day));
    case 'TRD9': return onStart((t) => formatTime(t, o));
    case 'TRD10': {
      const t = appointment ? localTime(appointment.endAt, o) : null;
      return t ? formatTime(t, o) : '';
    }
    case 'TRD11': return text(service?.name);
    case 'TRD12': return service?.price ? formatPrice(service.price, center.currency, o) : '';
    case 'TRD13': return formatDuration(service?.durationMinutes ?? null, o);
    case 'TRD14': return text(appointment?.notes);
    case 'TRD23': return service?.sendPreparation ? text(service.preparation) : '';
    case 'TRD37': return text(appointment?.groupName);
    case 'TRD39': return text(appointment?.priceList);
    case 'TRD24': return text(location?.notes);
    case 'TRD27': return text(location?.site);
    case 'TRD28': return text(location?.locality);
    case 'TRD29': return formatPhone(location?.phone ?? null, o);
    case 'TRD30': return text(location?.address);
    case 'CONFIRM_URL': return text(extra.confirmUrl);
    case 'CANCEL_URL': return text(extra.cancelUrl);
    case 'SETUP_URL': return secret(extra.setupUrl, o, false);
    case 'SURVEY_URL': return text(extra.surveyUrl);
    case 'UNSUBSCRIBE_URL': return text(extra.unsubscribeUrl);
    case 'DELAY_MINUTES': {
      const d = extra.delayMinutes;
      return d === null || d === undefined || !Number.isFinite(d) ? '' : String(Math.round(d));
    }
    case 'NOTICE': return text(extra.notice);
    case 'PASSWORD': return secret(extra.password, o, true);
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** Marks where a value was empty while a line is tidied; never in a value (control chars are stripped). */
const EMPTY = '\u0000';
const SEP = '[,;/|·–—-]';
/** "(tel. ∅)", "(∅, ∅)" → gone. */
const EMPTY_PARENS = /\(([^()]*)\)/g;
const PARENS_LEFTOVER = new RegExp(`^(?:[\\p{L}.]{1,12}[.:])?(?:\\s|${SEP}|${EMPTY})*$`, 'u');
/** A separator before an empty value that ends a list: "Sede Prati, ∅" / "A, ∅, B". */
const SEP_BEFORE_EMPTY = new RegExp(`\\s*${SEP}\\s*(?:${EMPTY}\\s*)+(?=$|[.,;:!?)])`, 'g');
/** An empty value that opens a list: "∅, Roma" / "(∅, Roma)" / "Dove: ∅, Roma". */
const EMPTY_BEFORE_SEP = new RegExp(`(^|[(:]\\s*)(?:${EMPTY}\\s*)+${SEP}\\s*`, 'g');
/** A labelled clause left without its value: "Sede: ∅. " / "… Info: ∅" (after the list rules, so "Dove: ∅, ∅" counts). */
const EMPTY_LABEL = new RegExp(`(?<=^|[.!?]\\s)\\s*[^.!?:${EMPTY}\\n]*:\\s*(?:${EMPTY}\\s*)+(?:[.;!?](?:\\s+|$)|$)`, 'g');
/** Last resort, a colon left before nothing inside a longer sentence: "…chiami il numero: ∅." → "…chiami il numero." */
const COLON_BEFORE_EMPTY = new RegExp(`\\s*:\\s*(?:${EMPTY}\\s*)+(?=[.;!?]|$)`, 'g');

/**
 * Tidies a line that had empty values: no dangling label, separator or empty parentheses, no
 * double spaces, no space before punctuation. Returns null when nothing worth keeping is left.
 */
function tidy(line: string): string | null {
  const s = line
    .replace(EMPTY_PARENS, (whole, inner: string) => (inner.includes(EMPTY) && PARENS_LEFTOVER.test(inner) ? EMPTY : whole))
    .replace(SEP_BEFORE_EMPTY, '')
    .replace(EMPTY_BEFORE_SEP, '$1')
    .replace(EMPTY_LABEL, '')
    .replace(COLON_BEFORE_EMPTY, '')
    .replaceAll(EMPTY, '')
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/[ \t]+([,.;:!?)])/g, '$1')
    .replace(/\([ \t]+/g, '(')
    .trim();
  return /^[\s\p{P}\p{S}]*$/u.test(s) ? null : s;
}

/**
 * A4: renders a template with the current data. Every missing value renders as nothing and the
 * text around it is tidied (a line reduced to a bare label disappears). Values are inserted in
 * one pass, so a value containing "[TRD3]" stays literal. Unknown tags (refused at save) render
 * as nothing; malformed ones stay as written. Plain text: HTML escaping is the email channel's.
 */
export function renderTemplate(text: string, ctx: RenderContext, options: RenderOptions): string {
  if (!IANAZone.isValidZone(options.timeZone)) throw new RangeError(`timeZone: "${options.timeZone}" is not a known IANA time zone`);
  const lines: string[] = [];
  for (const tokens of scan(text)) {
    let hadEmpty = false;
    let line = '';
    for (const token of tokens) {
      if (token.kind === 'text') line += token.text;
      else if (token.kind === 'malformed') line += token.raw;
      else {
        const value = token.kind === 'tag' ? valueOf(token.name, ctx, options) : '';
        if (value) line += value;
        else {
          line += EMPTY;
          hadEmpty = true;
        }
      }
    }
    const tidied = hadEmpty ? tidy(line) : line.trim();
    if (tidied !== null) lines.push(tidied);
  }
  return lines.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

/** Renders an email subject (one line: a value's line breaks must not reach a mail header) and a body. */
export function renderMessage(
  template: { subject: string | null; body: string },
  ctx: RenderContext,
  options: RenderOptions,
): { subject: string | null; body: string } {
  const subject = template.subject === null ? null : renderTemplate(template.subject, ctx, options).replace(/\s*\n\s*/g, ' ');
  return { subject, body: renderTemplate(template.body, ctx, options) };
}
