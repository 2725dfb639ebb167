import { LOCALES, type Locale } from '../../domain/events.js';

/**
 * What patients read or hear back from the webhooks, per locale (it, en). Spanish reply words
 * are understood (domain/reply-words.ts) but answered in the patient's own locale.
 */

export function asLocale(value: string | null | undefined): Locale | null {
  return LOCALES.find((l) => l === value) ?? null;
}

/** A stored locale, Italian when missing or unknown. */
export const localeOf = (value: string | null | undefined): Locale => asLocale(value) ?? 'it';

/** SMS answers to a reply (B2-confirm, X1). Short: one segment each. */
export const SMS_REPLIES: Record<Locale, Record<'stopped' | 'started' | 'confirmed' | 'cancelled' | 'nothingPending' | 'help' | 'ambiguous', string>> = {
  it: {
    stopped: 'Non riceverai più SMS da noi. Per riattivarli rispondi START.',
    started: 'SMS riattivati. Per non riceverli più rispondi STOP.',
    confirmed: 'Grazie, appuntamento confermato.',
    cancelled: 'Appuntamento disdetto. Grazie per avercelo comunicato.',
    nothingPending: 'Non ci sono appuntamenti in attesa di una tua risposta.',
    help: 'Rispondi SI per confermare, NO per disdire, STOP per non ricevere più SMS.',
    ambiguous: 'Hai più appuntamenti in attesa di risposta e non abbiamo cambiato nulla. Apri il link di quello che intendi:',
  },
  en: {
    stopped: 'You will no longer get text messages from us. Reply START to get them again.',
    started: 'Text messages are back on. Reply STOP to stop them.',
    confirmed: 'Thank you, your appointment is confirmed.',
    cancelled: 'Your appointment is cancelled. Thank you for letting us know.',
    nothingPending: 'There is no appointment waiting for your answer.',
    help: 'Reply YES to confirm, NO to cancel, STOP to stop text messages.',
    ambiguous: 'You have several appointments waiting for an answer, so nothing was changed. Open the link of the one you mean:',
  },
};

/** "dd/mm hh:mm" in the center's time zone: one line of an SMS answer. */
export function shortWhen(startAt: Date, timeZone: string, locale: Locale): string {
  const tag = locale === 'it' ? 'it-IT' : 'en-GB';
  return new Intl.DateTimeFormat(tag, { timeZone, day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(startAt).replace(',', '');
}

/** Spoken answers to a keypress (B2-confirm). */
export const VOICE_REPLIES: Record<Locale, Record<'confirmed' | 'cancelled' | 'notUnderstood' | 'prompt' | 'noAnswer' | 'closed', string>> = {
  it: {
    confirmed: 'Grazie, il suo appuntamento è confermato. Arrivederci.',
    cancelled: 'Il suo appuntamento è stato disdetto. Grazie per avercelo comunicato. Arrivederci.',
    notUnderstood: 'Non abbiamo capito la sua scelta.',
    prompt: "Premere 1 per confermare l'appuntamento, oppure 2 per disdirlo.",
    noAnswer: 'Non abbiamo ricevuto una risposta. Arrivederci.',
    closed: 'Non è più possibile rispondere a questo messaggio. Arrivederci.',
  },
  en: {
    confirmed: 'Thank you, your appointment is confirmed. Goodbye.',
    cancelled: 'Your appointment has been cancelled. Thank you for letting us know. Goodbye.',
    notUnderstood: 'Sorry, we did not understand your choice.',
    prompt: 'Press 1 to confirm your appointment, or 2 to cancel it.',
    noAnswer: 'We did not receive an answer. Goodbye.',
    closed: 'It is no longer possible to answer this message. Goodbye.',
  },
};

export interface PageTexts {
  confirmTitle: string;
  cancelTitle: string;
  /** {name} the patient's first name. */
  greeting: string;
  /** {center} {date} {time} */
  confirmQuestion: string;
  cancelQuestion: string;
  confirmButton: string;
  cancelButton: string;
  confirmedTitle: string;
  confirmedBody: string;
  cancelledTitle: string;
  cancelledBody: string;
  /** The other link was used first: the first answer stands. */
  alreadyAnswered: string;
  appointmentCancelledTitle: string;
  appointmentCancelledBody: string;
  expiredTitle: string;
  expiredBody: string;
  /** {phone} */
  callUs: string;
  invalidTitle: string;
  invalidBody: string;
  errorTitle: string;
  errorBody: string;
  unsubscribeTitle: string;
  /** {center} */
  unsubscribeQuestion: string;
  unsubscribeButton: string;
  unsubscribedTitle: string;
  /** {center} */
  unsubscribedBody: string;
}

export const PAGE_TEXTS: Record<Locale, PageTexts> = {
  it: {
    confirmTitle: 'Conferma appuntamento',
    cancelTitle: 'Disdetta appuntamento',
    greeting: 'Gentile {name},',
    confirmQuestion: 'confermi il tuo appuntamento presso {center} di {date} alle {time}?',
    cancelQuestion: 'vuoi disdire il tuo appuntamento presso {center} di {date} alle {time}?',
    confirmButton: "Confermo l'appuntamento",
    cancelButton: "Disdico l'appuntamento",
    confirmedTitle: 'Appuntamento confermato',
    confirmedBody: 'Grazie, il tuo appuntamento presso {center} di {date} alle {time} è confermato.',
    cancelledTitle: 'Appuntamento disdetto',
    cancelledBody: 'Il tuo appuntamento presso {center} di {date} alle {time} è stato disdetto. Grazie per avercelo comunicato.',
    alreadyAnswered: 'Hai già risposto a questo messaggio: vale la prima risposta.',
    appointmentCancelledTitle: 'Appuntamento non più attivo',
    appointmentCancelledBody: 'Questo appuntamento presso {center} è stato annullato.',
    expiredTitle: 'Link scaduto',
    expiredBody: "Questo link non è più valido: l'appuntamento è già iniziato.",
    callUs: 'Per qualsiasi necessità chiama {phone}.',
    invalidTitle: 'Link non valido',
    invalidBody: 'Questo link non è valido. Controlla di averlo copiato per intero.',
    errorTitle: 'Qualcosa è andato storto',
    errorBody: 'Non siamo riusciti a registrare la tua risposta. Riprova tra qualche minuto.',
    unsubscribeTitle: 'Annulla iscrizione',
    unsubscribeQuestion: 'Vuoi smettere di ricevere email da {center}?',
    unsubscribeButton: 'Non voglio più ricevere email',
    unsubscribedTitle: 'Iscrizione annullata',
    unsubscribedBody: 'Non riceverai più email da {center}.',
  },
  en: {
    confirmTitle: 'Confirm your appointment',
    cancelTitle: 'Cancel your appointment',
    greeting: 'Dear {name},',
    confirmQuestion: 'do you confirm your appointment at {center} on {date} at {time}?',
    cancelQuestion: 'do you want to cancel your appointment at {center} on {date} at {time}?',
    confirmButton: 'Confirm the appointment',
    cancelButton: 'Cancel the appointment',
    confirmedTitle: 'Appointment confirmed',
    confirmedBody: 'Thank you, your appointment at {center} on {date} at {time} is confirmed.',
    cancelledTitle: 'Appointment cancelled',
    cancelledBody: 'Your appointment at {center} on {date} at {time} has been cancelled. Thank you for letting us know.',
    alreadyAnswered: 'You already answered this message: the first answer stands.',
    appointmentCancelledTitle: 'Appointment no longer active',
    appointmentCancelledBody: 'This appointment at {center} has been cancelled.',
    expiredTitle: 'Link expired',
    expiredBody: 'This link is no longer valid: the appointment has already started.',
    callUs: 'If you need anything, call {phone}.',
    invalidTitle: 'Invalid link',
    invalidBody: 'This link is not valid. Please check that you copied all of it.',
    errorTitle: 'Something went wrong',
    errorBody: 'We could not record your answer. Please try again in a few minutes.',
    unsubscribeTitle: 'Unsubscribe',
    unsubscribeQuestion: 'Do you want to stop receiving emails from {center}?',
    unsubscribeButton: 'Stop sending me emails',
    unsubscribedTitle: 'Unsubscribed',
    unsubscribedBody: 'You will no longer receive emails from {center}.',
  },
};

/** Fills `{name}` slots; the caller escapes the result for HTML. */
export function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (slot, key: string) => values[key] ?? slot);
}

/** The appointment's date and time in the center's time zone, in the page's language. */
export function appointmentWhen(startAt: Date, timeZone: string, locale: Locale): { date: string; time: string } {
  const tag = locale === 'it' ? 'it-IT' : 'en-GB';
  const date = new Intl.DateTimeFormat(tag, { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(startAt);
  const time = new Intl.DateTimeFormat(tag, { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(startAt);
  return { date, time };
}
