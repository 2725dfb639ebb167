import type { Channel, EventKind, LedgerKind, MessageStatus, SkipReason } from '../domain/events.js';

/** #14: the console's words, Italian (the product's language) and English. */
export type ConsoleLocale = 'it' | 'en';

const EVENTS: Record<EventKind, [string, string]> = {
  'appointment.created': ['Conferma di prenotazione', 'Booking confirmation'],
  'appointment.modified': ['Modifica appuntamento', 'Appointment changed'],
  'appointment.cancelled': ['Cancellazione appuntamento', 'Appointment cancelled'],
  'appointment.reminder': ['Promemoria', 'Reminder'],
  'appointment.second_reminder': ['Secondo promemoria', 'Second reminder'],
  'appointment.post_visit': ['Dopo la visita', 'After the visit'],
  recall: ['Richiamo', 'Recall'],
  'alert.delay': ['Avviso di ritardo', 'Delay alert'],
  'alert.cancellation': ['Avviso di assenza', 'Absence alert'],
  'resource.reminder': ['Promemoria al professionista', 'Reminder to the practitioner'],
  'resource.new_appointment': ['Nuovo appuntamento al professionista', 'New appointment to the practitioner'],
  'center.notice': ['Avvisi al centro', 'Notices to the center'],
  password: ['Password e accesso', 'Password and account'],
};

const CHANNELS: Record<Channel, [string, string]> = { email: ['Email', 'Email'], sms: ['SMS', 'SMS'], voice: ['Messaggio vocale', 'Voice message'] };

const STATUSES: Record<MessageStatus, [string, string]> = {
  scheduled: ['Programmato', 'Scheduled'],
  skipped: ['Non inviato', 'Skipped'],
  sending: ['In invio', 'Sending'],
  unknown: ['Esito incerto', 'Outcome unknown'],
  sent: ['Inviato', 'Sent'],
  delivered: ['Consegnato', 'Delivered'],
  read: ['Letto', 'Read'],
  failed: ['Fallito', 'Failed'],
};

/** X6: the engine's own states in a timeline (src/engine/port.ts), beside the message statuses. */
const TIMELINE_STATES: Record<string, [string, string]> = {
  planned: ['Pianificato', 'Planned'],
  will_skip: ['Non verrà inviato', 'Will not be sent'],
  done_before: ['Già inviato prima', 'Already sent before'],
  cancelled: ['Annullato', 'Cancelled'],
  received: ['Ricevuto', 'Received'],
};

/** X6: a patient's answer in a timeline. */
const ANSWERS: Record<string, [string, string]> = {
  'patient.confirm': ['Conferma del paziente', 'The patient confirmed'],
  'patient.cancel': ['Disdetta del paziente', 'The patient cancelled'],
};

const LEDGER: Record<LedgerKind, [string, string]> = {
  debit: ['Addebito', 'Debit'],
  refund: ['Rimborso', 'Refund'],
  topup: ['Ricarica', 'Top-up'],
};

const SKIPS: Record<SkipReason, [string, string]> = {
  master_off: ['Le comunicazioni del centro sono spente', 'The center’s communications are switched off'],
  channel_disabled: ['Il canale è spento per questo evento', 'The channel is off for this event'],
  online_only: ['Solo per prenotazioni online', 'Only for online bookings'],
  privacy: ['Manca il consenso privacy', 'No privacy consent'],
  preference: ['Il paziente preferisce un altro canale', 'The patient prefers another channel'],
  resource_memo_off: ['Promemoria spenti per il professionista', 'Reminders are off for the practitioner'],
  service_memo_off: ['Promemoria spenti per la prestazione', 'Reminders are off for the service'],
  minimum_lead: ['Prenotato troppo a ridosso dell’appuntamento', 'Booked too close to the appointment'],
  sending_hours: ['Fuori dagli orari di invio', 'Outside the sending hours'],
  one_per_day: ['Già un promemoria oggi', 'Already one reminder today'],
  no_contact: ['Nessun recapito', 'No address or number'],
  no_credits: ['Crediti esauriti', 'Out of credits'],
  opted_out: ['Il destinatario si è disiscritto', 'The recipient opted out'],
  expired: ['Troppo tardi: l’appuntamento è passato', 'Too late: the appointment has passed'],
  already_confirmed: ['Appuntamento già confermato', 'Appointment already confirmed'],
  not_unreliable: ['Paziente affidabile: nessun secondo promemoria', 'Reliable patient: no second reminder'],
  cancelled: ['Appuntamento cancellato', 'Appointment cancelled'],
  superseded: ['Sostituito da un messaggio più recente', 'Replaced by a newer message'],
  destination_country: ['Paese di destinazione non consentito', 'Destination country not allowed'],
  daily_cap: ['Limite giornaliero di SMS e chiamate raggiunto', 'Daily SMS and call limit reached'],
  erased: ['Paziente cancellato (diritto all’oblio)', 'Patient erased (right to erasure)'],
};

const WORDS = {
  title: ['Comunicazione', 'Communications'],
  skip: ['Vai al contenuto', 'Skip to content'],
  settings: ['Configura', 'Configure'],
  templates: ['Modelli', 'Templates'],
  messages: ['Riepilogo messaggi', 'Message summary'],
  timeline: ['Cronologia appuntamento', 'Appointment timeline'],
  credits: ['Crediti', 'Credits'],
  alerts: ['Ritardi e assenze', 'Delays and absences'],
  logout: ['Esci', 'Sign out'],
  signedInAs: ['Connesso come', 'Signed in as'],
  language: ['Lingua', 'Language'],
  save: ['Salva', 'Save'],
  saved: ['Salvato.', 'Saved.'],
  replanWaiting: ['Ripianificazione degli appuntamenti: in partenza…', 'Re-planning appointments: starting…'],
  replanRunning: ['Ripianificazione in corso: {n} di {total} appuntamenti', 'Re-planning: {n} of {total} appointments'],
  replanDone: ['Appuntamenti ripianificati: {n} di {total}', 'Appointments re-planned: {n} of {total}'],
  replanNone: ['Nessun appuntamento da ripianificare.', 'Nothing to re-plan.'],
  notSaved: ['Non salvato: correggi i campi indicati.', 'Not saved: fix the fields shown.'],
  masterSwitch: ['Comunicazioni attive (interruttore generale)', 'Communications on (master switch)'],
  privacyRequired: ['Invia solo a chi ha dato il consenso privacy', 'Send only to patients with privacy consent'],
  readTracking: ['Rileva l’apertura delle email', 'Track email opens'],
  center: ['Centro', 'Center'],
  senders: ['Mittenti', 'Senders'],
  emailFromName: ['Nome mittente email', 'Email sender name'],
  emailFromAddress: ['Indirizzo mittente email', 'Email sender address'],
  emailReplyTo: ['Rispondi a', 'Reply-to'],
  smsSenderId: ['Mittente SMS', 'SMS sender'],
  voiceCallerNumber: ['Numero chiamante', 'Caller number'],
  matrix: ['Eventi e canali', 'Events and channels'],
  event: ['Evento', 'Event'],
  options: ['Opzioni', 'Options'],
  channel: ['Canale', 'Channel'],
  locale: ['Lingua', 'Language'],
  status: ['Stato', 'Status'],
  patient: ['Paziente (id)', 'Patient (id)'],
  from: ['Dal', 'From'],
  to: ['Al', 'To'],
  filter: ['Filtra', 'Filter'],
  clearFilters: ['Togli i filtri', 'Clear filters'],
  perPage: ['Per pagina', 'Per page'],
  pages: ['Pagine', 'Pages'],
  pageN: ['Pagina {n}', 'Page {n}'],
  firstPage: ['Prima pagina', 'First page'],
  previousPage: ['Pagina precedente', 'Previous page'],
  nextPage: ['Pagina successiva', 'Next page'],
  all: ['Tutti', 'All'],
  due: ['Previsto', 'Due'],
  reason: ['Motivo', 'Reason'],
  recipient: ['Destinatario', 'Recipient'],
  appointment: ['Appuntamento', 'Appointment'],
  noMessages: ['Nessun messaggio.', 'No messages.'],
  perDay: ['Messaggi al giorno', 'Messages per day'],
  subject: ['Oggetto', 'Subject'],
  body: ['Testo', 'Text'],
  legend: ['Legenda dei tag (TRD)', 'Tag legend (TRD)'],
  insert: ['Inserisci', 'Insert'],
  preview: ['Anteprima', 'Preview'],
  previewOn: ['Anteprima sull’appuntamento', 'Preview on appointment'],
  noAppointments: ['Nessun appuntamento per l’anteprima.', 'No appointment to preview on.'],
  segments: ['Segmenti SMS', 'SMS segments'],
  creditsNeeded: ['crediti per messaggio', 'credits per message'],
  open: ['Apri', 'Open'],
  reset: ['Ripristina il predefinito', 'Reset to default'],
  custom: ['personalizzato', 'custom'],
  default: ['predefinito', 'default'],
  balance: ['Saldo', 'Balance'],
  ledger: ['Movimenti', 'Ledger'],
  amount: ['Importo', 'Amount'],
  note: ['Nota', 'Note'],
  kind: ['Tipo', 'Kind'],
  when: ['Quando', 'When'],
  low: ['Saldo basso', 'Low balance'],
  resource: ['Professionista (id)', 'Practitioner (id)'],
  day: ['Giorno', 'Day'],
  delay: ['Ritardo', 'Delay'],
  absence: ['Assenza', 'Absence'],
  delayMinutes: ['Minuti di ritardo', 'Minutes late'],
  send: ['Invia', 'Send'],
  progress: ['Avanzamento', 'Progress'],
  recentAlerts: ['Avvisi recenti', 'Recent alerts'],
  alertProgress: [
    '{day}: appuntamenti raggiunti {notified} di {affected}; pazienti con messaggio preparato {prepared}, inviato {sent}',
    '{day}: appointments reached {notified} of {affected}; patients with a message prepared {prepared}, sent {sent}',
  ],
  alertRunning: ['in corso', 'in progress'],
  alertStarted: ['Avviso registrato: i pazienti vengono avvisati.', 'Alert recorded: the patients are being told.'],
  alertDone: ['concluso', 'finished'],
  show: ['Mostra', 'Show'],
  noTimeline: ['Nessuna cronologia per questo appuntamento.', 'No timeline for this appointment.'],
  signedOut: ['Sessione terminata. Chiedi un nuovo link alla piattaforma.', 'Signed out. Ask the platform for a new link.'],
  badLink: ['Link non valido, già usato o scaduto.', 'The link is not valid, already used or expired.'],
  continue: ['Continua', 'Continue'],
  refused: ['Richiesta rifiutata (token CSRF mancante o errato). Ricarica la pagina.', 'Request refused (missing or wrong CSRF token). Reload the page.'],
  weekdays: ['Lun,Mar,Mer,Gio,Ven,Sab,Dom', 'Mon,Tue,Wed,Thu,Fri,Sat,Sun'],
  hoursHint: [
    'Fino a 4 fasce per giorno, nel fuso orario del centro. Un giorno senza fasce = nessun invio quel giorno; nessuna fascia in tutta la settimana = a qualsiasi ora.',
    'Up to 4 windows a day, in the center’s time zone. A day without windows = no sending that day; no window all week = any time.',
  ],
  windowFrom: ['dalle', 'from'],
  windowTo: ['alle', 'to'],
  windowN: ['fascia', 'window'],
  addWindow: ['Aggiungi fascia', 'Add a window'],
  removeWindow: ['Togli fascia', 'Remove window'],
  listHint: ['valori separati da virgola', 'comma-separated values'],
  sent: ['Inviati', 'Sent'],
  delivered: ['Consegnati', 'Delivered'],
  failed: ['Falliti', 'Failed'],
  skipped: ['Non inviati', 'Skipped'],
} as const satisfies Record<string, [string, string]>;

export type Word = keyof typeof WORDS;

/** Labels of the options' fixed values (second reminder policy, after-visit kind). */
const OPTION_VALUES: Record<string, [string, string]> = {
  'policy.none': ['Nessuno', 'Nobody'],
  'policy.all': ['Tutti i pazienti', 'Every patient'],
  'policy.unreliable': ['Solo i pazienti poco affidabili (assenze ≥ 30 %)', 'Only unreliable patients (no-shows ≥ 30 %)'],
  'kind.thanks': ['Ringraziamento', 'Thank-you'],
  'kind.survey': ['Questionario di gradimento', 'Satisfaction survey'],
};

/** Labels of the event options (src/domain/policy.ts), by option name. */
const OPTIONS: Record<string, [string, string]> = {
  leadMinutes: ['Anticipo (minuti)', 'Lead time (minutes)'],
  requestConfirmation: ['Chiedi conferma o disdetta', 'Ask to confirm or cancel'],
  minimumLeadMinutes: ['Anticipo minimo della prenotazione (minuti)', 'Minimum booking lead (minutes)'],
  onePerDay: ['Al massimo un promemoria al giorno', 'At most one reminder a day'],
  sendingHours: ['Orari di invio', 'Sending hours'],
  policy: ['A chi', 'To whom'],
  onlineOnly: ['Solo prenotazioni online', 'Online bookings only'],
  kind: ['Tipo', 'Kind'],
  delayMinutes: ['Dopo (minuti)', 'After (minutes)'],
  surveyUrl: ['Indirizzo del questionario', 'Survey address'],
  intervalsDays: ['Intervalli di richiamo (giorni)', 'Recall intervals (days)'],
  defaultIntervalDays: ['Intervallo predefinito (giorni)', 'Default interval (days)'],
  includeSetupLink: ['Includi il link di attivazione account', 'Include the account set-up link'],
  setupUrl: ['Indirizzo di attivazione account', 'Account set-up address'],
};

export interface Words {
  locale: ConsoleLocale;
  t(word: Word): string;
  event(kind: EventKind): string;
  channel(channel: Channel): string;
  status(status: MessageStatus): string;
  skip(reason: SkipReason): string;
  /** A timeline entry's state (a message status or the engine's): unknown ones as they are. */
  timelineState(state: string): string;
  /** A timeline entry's event (an event kind or a patient's answer): unknown ones as they are. */
  timelineEvent(kind: string): string;
  ledgerKind(kind: LedgerKind): string;
  option(name: string): string;
  optionValue(name: string, value: string): string;
}

export function wordsFor(locale: ConsoleLocale): Words {
  const i = locale === 'it' ? 0 : 1;
  return {
    locale,
    t: (word) => WORDS[word][i],
    event: (kind) => EVENTS[kind][i],
    channel: (channel) => CHANNELS[channel][i],
    status: (status) => STATUSES[status][i],
    skip: (reason) => SKIPS[reason][i],
    timelineState: (state) => (STATUSES[state as MessageStatus] ?? TIMELINE_STATES[state])?.[i] ?? state,
    timelineEvent: (kind) => (EVENTS[kind as EventKind] ?? ANSWERS[kind])?.[i] ?? kind,
    ledgerKind: (kind) => LEDGER[kind][i],
    option: (name) => OPTIONS[name]?.[i] ?? name,
    optionValue: (name, value) => OPTION_VALUES[`${name}.${value}`]?.[i] ?? value,
  };
}
