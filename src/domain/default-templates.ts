import type { Channel, EventKind, Locale } from './events.js';

/**
 * Built-in templates (A4): what a center sends until it edits a text, and what "reset to
 * default" restores. Written the way an Italian clinic writes to its patients (formal "Lei").
 *
 * - SMS: short, one segment with a typical context, GSM alphabet only (no "È", no curly quotes,
 *   no dashes), and little health detail: no service, no notes, no price (privacy: a phone screen
 *   is seen by others).
 * - Email: a subject and a friendly body with the details, location notes (A4-site) and the
 *   preparation (A4-prep) where useful.
 * - Voice: written to be spoken; no links (validation refuses them), a label before each value so
 *   a missing one drops cleanly, keypress sentences where the channel gathers digits.
 *
 * Optional values sit after a "Label:" or on their own line, so renderTemplate can drop them
 * cleanly when they are missing.
 */

export interface DefaultTemplate {
  /** Email only; null for SMS and voice. */
  subject: string | null;
  body: string;
}

export interface DefaultTemplateOptions {
  /** B2-confirm: the (second) reminder asks to confirm or cancel. */
  requestConfirmation?: boolean;
  /** B3: the after-visit message is a satisfaction survey, not a thank-you. */
  survey?: boolean;
}

interface Texts {
  email: { subject: string; body: string };
  sms: string;
  voice: string;
}

type Variant =
  | Exclude<EventKind, 'appointment.reminder' | 'appointment.second_reminder' | 'appointment.post_visit'>
  | 'appointment.reminder'
  | 'appointment.reminder+confirm'
  | 'appointment.second_reminder'
  | 'appointment.second_reminder+confirm'
  | 'appointment.post_visit+thanks'
  | 'appointment.post_visit+survey';

const lines = (...parts: string[]) => parts.join('\n');

// ----- Italian building blocks ---------------------------------------------------------------

const IT_DETAILS = lines(
  'Quando: [TRD25] [TRD8], ore [TRD9]',
  'Prestazione: [TRD11]',
  'Con: [TRD5]',
  'Dove: [TRD27], [TRD30], [TRD28]',
  '[TRD24]',
  'Preparazione: [TRD23]',
);
const IT_SIGN = lines('Cordiali saluti,', '[TRD0]', '[TRD38]');
const IT_UNSUBSCRIBE = 'Per non ricevere più queste comunicazioni: [UNSUBSCRIBE_URL]';
const IT_HELLO = 'Gentile [TRD3] [TRD4],';
const IT_VOICE_HELLO = 'Messaggio per [TRD3] [TRD4] da parte di [TRD0].';
const IT_RESOURCE_DETAILS = lines(
  'Quando: [TRD25] [TRD8], ore [TRD9]-[TRD10]',
  'Paziente: [TRD3] [TRD4]',
  'Cellulare: [TRD35]',
  'Prestazione: [TRD11]',
  'Durata: [TRD13]',
  'Dove: [TRD27], [TRD30], [TRD28]',
  'Note: [TRD14]',
);

const itPatientEmail = (subject: string, intro: string, after: string) => ({
  subject,
  body: [IT_HELLO, intro, after, IT_SIGN, IT_UNSUBSCRIBE].filter(Boolean).join('\n\n'),
});

const itReminderEmail = (again: boolean, confirm: boolean) =>
  itPatientEmail(
    confirm ? 'Confermi il Suo appuntamento: [TRD31] alle [TRD9]' : 'Promemoria appuntamento: [TRD31] alle [TRD9]',
    lines(`Le ricordiamo${again ? ' nuovamente' : ''} il Suo appuntamento presso [TRD0]:`, '', IT_DETAILS),
    confirm
      ? lines(
          'La preghiamo di confermare la Sua presenza.',
          'Confermo: [CONFIRM_URL]',
          'Non posso venire, disdico: [CANCEL_URL]',
          '',
          'Disdicendo per tempo permetterà a un altro paziente di usare il Suo posto.',
        )
      : 'Se non può venire, La preghiamo di avvisarci per tempo: [TRD1]',
  );

const itReminderSms = (again: boolean, confirm: boolean) =>
  `[TRD0]: Gentile [TRD3], Le ricordiamo${again ? ' ancora' : ''} l'appuntamento di [TRD25] [TRD26] alle [TRD9]. ` +
  (confirm ? 'Risponda SI per confermare o NO per disdire.' : 'Sede: [TRD27]. Per disdire: [TRD1]');

const itReminderVoice = (again: boolean, confirm: boolean) =>
  `${IT_VOICE_HELLO} Le ricordiamo${again ? ' nuovamente' : ''} l'appuntamento di [TRD31] alle ore [TRD9]. Sede: [TRD27]. ` +
  (confirm
    ? 'Per confermare prema 1. Per disdire prema 2.'
    : 'Se non può venire, La preghiamo di avvisarci al numero: [TRD1]. Arrivederci.');

const IT: Record<Variant, Texts> = {
  'appointment.created': {
    email: itPatientEmail(
      'Prenotazione confermata: [TRD31] alle [TRD9]',
      lines('la informiamo che il Suo appuntamento presso [TRD0] è stato registrato.', '', IT_DETAILS),
      "Per modificare o disdire l'appuntamento ci contatti: [TRD1]",
    ),
    sms: '[TRD0]: Gentile [TRD3], confermiamo il Suo appuntamento di [TRD25] [TRD26] alle [TRD9]. Per modifiche o disdette: [TRD1]',
    voice: `${IT_VOICE_HELLO} Le confermiamo l'appuntamento di [TRD31] alle ore [TRD9]. Sede: [TRD27]. Per modifiche o disdette chiami il numero: [TRD1]. Arrivederci.`,
  },
  'appointment.modified': {
    email: itPatientEmail(
      'Appuntamento modificato: [TRD31] alle [TRD9]',
      lines('la informiamo che il Suo appuntamento presso [TRD0] è stato modificato. Ecco i dettagli aggiornati:', '', IT_DETAILS),
      'Per qualsiasi chiarimento ci contatti: [TRD1]',
    ),
    sms: '[TRD0]: Gentile [TRD3], il Suo appuntamento è stato modificato: ora è [TRD25] [TRD26] alle [TRD9]. Info: [TRD1]',
    voice: `${IT_VOICE_HELLO} Il Suo appuntamento è stato modificato: ora è fissato per [TRD31] alle ore [TRD9]. Sede: [TRD27]. Per informazioni chiami il numero: [TRD1]. Arrivederci.`,
  },
  'appointment.cancelled': {
    email: itPatientEmail(
      'Appuntamento annullato: [TRD31] alle [TRD9]',
      'la informiamo che il Suo appuntamento presso [TRD0] previsto per [TRD31] alle ore [TRD9] è stato annullato.',
      'Se desidera fissare un nuovo appuntamento ci contatti: [TRD1]',
    ),
    sms: '[TRD0]: Gentile [TRD3], il Suo appuntamento di [TRD25] [TRD26] alle [TRD9] è stato annullato. Per prenotarne un altro: [TRD1]',
    voice: `${IT_VOICE_HELLO} Il Suo appuntamento di [TRD31] alle ore [TRD9] è stato annullato. Per fissarne uno nuovo chiami il numero: [TRD1]. Arrivederci.`,
  },
  'appointment.reminder': { email: itReminderEmail(false, false), sms: itReminderSms(false, false), voice: itReminderVoice(false, false) },
  'appointment.reminder+confirm': { email: itReminderEmail(false, true), sms: itReminderSms(false, true), voice: itReminderVoice(false, true) },
  'appointment.second_reminder': { email: itReminderEmail(true, false), sms: itReminderSms(true, false), voice: itReminderVoice(true, false) },
  'appointment.second_reminder+confirm': { email: itReminderEmail(true, true), sms: itReminderSms(true, true), voice: itReminderVoice(true, true) },
  'appointment.post_visit+thanks': {
    email: itPatientEmail(
      'Grazie per averci scelto',
      'la ringraziamo per aver scelto [TRD0]. Ci auguriamo che la Sua visita sia andata bene.',
      'Per qualsiasi necessità siamo a Sua disposizione: [TRD1]',
    ),
    sms: '[TRD0]: Gentile [TRD3], grazie per averci scelto. Per qualsiasi necessità siamo a Sua disposizione: [TRD1]',
    voice: `${IT_VOICE_HELLO} La ringraziamo per averci scelto e restiamo a Sua disposizione per qualsiasi necessità. Arrivederci.`,
  },
  'appointment.post_visit+survey': {
    email: itPatientEmail(
      "Com'è andata la Sua visita?",
      'la ringraziamo per aver scelto [TRD0]. La Sua opinione ci aiuta a migliorare: bastano pochi minuti per rispondere al nostro breve questionario.',
      'Questionario: [SURVEY_URL]',
    ),
    sms: "[TRD0]: Gentile [TRD3], grazie per la visita. Ci aiuti a migliorare con un breve questionario: [SURVEY_URL]",
    voice: `${IT_VOICE_HELLO} La ringraziamo per averci scelto. La Sua opinione è importante. Se desidera lasciarci un commento, chiami il numero: [TRD1]. Arrivederci.`,
  },
  recall: {
    email: itPatientEmail(
      'È il momento della Sua prossima visita',
      "è trascorso un po' di tempo dalla Sua ultima visita presso [TRD0]: è il momento di prenotare la prossima.",
      lines(
        'Per prenotare ci chiami: [TRD1]',
        'Oppure visiti il nostro sito: [TRD38]',
        'Se non ha ancora un account, può crearlo qui: [SETUP_URL]',
      ),
    ),
    sms: '[TRD0]: Gentile [TRD3], è ora di prenotare la Sua prossima visita. Per prenotare: [TRD1]. Crei il Suo account: [SETUP_URL]',
    voice: `${IT_VOICE_HELLO} È trascorso un po' di tempo dalla Sua ultima visita: è il momento di prenotare la prossima. Per prenotare chiami il numero: [TRD1]. Arrivederci.`,
  },
  'alert.delay': {
    email: itPatientEmail(
      'Ritardo: il Suo appuntamento di [TRD31] è spostato alle [TRD9]',
      lines(
        'a causa di un ritardo imprevisto, il Suo appuntamento di [TRD31] presso [TRD0] è posticipato di [DELAY_MINUTES] minuti.',
        '',
        'La preghiamo di presentarsi alle ore [TRD9].',
        '',
        'Con: [TRD5]',
        'Dove: [TRD27], [TRD30], [TRD28]',
      ),
      lines('Ci scusiamo per il disagio.', 'Per informazioni: [TRD1]'),
    ),
    sms: '[TRD0]: Gentile [TRD3], per un ritardo imprevisto il Suo appuntamento di [TRD25] [TRD26] è spostato alle [TRD9] ([DELAY_MINUTES] minuti dopo). Ci scusiamo.',
    voice: `${IT_VOICE_HELLO} A causa di un ritardo imprevisto, il Suo appuntamento di [TRD31] è posticipato di [DELAY_MINUTES] minuti. La preghiamo di presentarsi alle ore [TRD9]. Ci scusiamo per il disagio. Arrivederci.`,
  },
  'alert.cancellation': {
    email: itPatientEmail(
      'Appuntamento annullato: [TRD31] alle [TRD9]',
      lines(
        "ci dispiace informarLa che, per un'assenza imprevista, il Suo appuntamento presso [TRD0] è stato annullato.",
        '',
        'Appuntamento annullato: [TRD25] [TRD8], ore [TRD9]',
        'Con: [TRD5]',
      ),
      'Ci scusiamo per il disagio. La preghiamo di chiamarci per fissare un nuovo appuntamento: [TRD1]',
    ),
    sms: '[TRD0]: Gentile [TRD3], ci scusiamo: il Suo appuntamento di [TRD25] [TRD26] alle [TRD9] è annullato per un imprevisto. Per prenotare: [TRD1]',
    voice: `${IT_VOICE_HELLO} Per un'assenza imprevista, il Suo appuntamento di [TRD31] alle ore [TRD9] è annullato. Ci scusiamo per il disagio. Per fissare un nuovo appuntamento chiami il numero: [TRD1]. Arrivederci.`,
  },
  'resource.reminder': {
    email: {
      subject: 'Promemoria: [TRD3] [TRD4], [TRD31] alle [TRD9]',
      body: lines('Gentile [TRD5],', '', 'Le ricordiamo il seguente appuntamento:', '', IT_RESOURCE_DETAILS, '', '[TRD0]'),
    },
    sms: '[TRD0]: promemoria, appuntamento di [TRD25] [TRD26] alle [TRD9]. Paziente: [TRD3] [TRD4]',
    voice: 'Messaggio per [TRD5] da parte di [TRD0]. Le ricordiamo l\'appuntamento di [TRD31] alle ore [TRD9]. Paziente: [TRD3] [TRD4]. Arrivederci.',
  },
  'resource.new_appointment': {
    email: {
      subject: 'Nuovo appuntamento: [TRD3] [TRD4], [TRD31] alle [TRD9]',
      body: lines('Gentile [TRD5],', '', 'è stato registrato un nuovo appuntamento con Lei:', '', IT_RESOURCE_DETAILS, '', '[TRD0]'),
    },
    sms: '[TRD0]: nuovo appuntamento di [TRD25] [TRD26] alle [TRD9]. Paziente: [TRD3] [TRD4]',
    voice: 'Messaggio per [TRD5] da parte di [TRD0]. È stato registrato un nuovo appuntamento con Lei, per [TRD31] alle ore [TRD9]. Paziente: [TRD3] [TRD4]. Arrivederci.',
  },
  'center.notice': {
    email: {
      subject: 'Avviso dal sistema di comunicazione: [TRD0]',
      body: lines('[NOTICE]', '', 'Questo messaggio è stato inviato automaticamente dal sistema di comunicazione con i pazienti di [TRD0].'),
    },
    sms: '[TRD0]: [NOTICE]',
    voice: 'Avviso per [TRD0] dal sistema di comunicazione con i pazienti. [NOTICE]',
  },
  password: {
    email: {
      subject: 'I Suoi dati di accesso: [TRD0]',
      body: lines(
        'Buongiorno,',
        '',
        "ecco i dati per accedere all'area riservata di [TRD0].",
        '',
        'Password: [PASSWORD]',
        'Link di accesso: [SETUP_URL]',
        '',
        "Per la Sua sicurezza non inoltri questo messaggio. Se non ha richiesto Lei l'accesso, può ignorarlo.",
        '',
        IT_SIGN,
      ),
    },
    sms: "[TRD0]: ecco i dati per accedere all'area riservata. Password: [PASSWORD]. Link di accesso: [SETUP_URL]",
    voice: "Messaggio da [TRD0]. La Sua password per l'area riservata è: [PASSWORD]. Ripeto: [PASSWORD]. Arrivederci.",
  },
};

// ----- English building blocks ---------------------------------------------------------------

const EN_DETAILS = lines(
  'When: [TRD25] [TRD8] at [TRD9]',
  'Service: [TRD11]',
  'With: [TRD5]',
  'Where: [TRD27], [TRD30], [TRD28]',
  '[TRD24]',
  'Preparation: [TRD23]',
);
const EN_SIGN = lines('Kind regards,', '[TRD0]', '[TRD38]');
const EN_UNSUBSCRIBE = 'To stop receiving these messages: [UNSUBSCRIBE_URL]';
const EN_HELLO = 'Dear [TRD3] [TRD4],';
const EN_VOICE_HELLO = 'This is a message for [TRD3] [TRD4] from [TRD0].';
const EN_RESOURCE_DETAILS = lines(
  'When: [TRD25] [TRD8], [TRD9]-[TRD10]',
  'Patient: [TRD3] [TRD4]',
  'Mobile: [TRD35]',
  'Service: [TRD11]',
  'Duration: [TRD13]',
  'Where: [TRD27], [TRD30], [TRD28]',
  'Notes: [TRD14]',
);

const enPatientEmail = (subject: string, intro: string, after: string) => ({
  subject,
  body: [EN_HELLO, intro, after, EN_SIGN, EN_UNSUBSCRIBE].filter(Boolean).join('\n\n'),
});

const enReminderEmail = (again: boolean, confirm: boolean) =>
  enPatientEmail(
    confirm ? 'Please confirm your appointment: [TRD31] at [TRD9]' : 'Appointment reminder: [TRD31] at [TRD9]',
    lines(`This is ${again ? 'another' : 'a'} reminder of your appointment at [TRD0]:`, '', EN_DETAILS),
    confirm
      ? lines(
          'Please let us know whether you will attend.',
          'I will attend: [CONFIRM_URL]',
          'I cannot attend, cancel it: [CANCEL_URL]',
          '',
          'Cancelling in good time lets another patient have your slot.',
        )
      : 'If you cannot attend, please let us know in good time: [TRD1]',
  );

const enReminderSms = (again: boolean, confirm: boolean) =>
  `[TRD0]: Dear [TRD3], ${again ? 'another' : 'a'} reminder of your appointment on [TRD25] [TRD26] at [TRD9]. ` +
  (confirm ? 'Reply YES to confirm or NO to cancel.' : 'Location: [TRD27]. To cancel: [TRD1]');

const enReminderVoice = (again: boolean, confirm: boolean) =>
  `${EN_VOICE_HELLO} This is ${again ? 'another' : 'a'} reminder of your appointment on [TRD31] at [TRD9]. Location: [TRD27]. ` +
  (confirm ? 'To confirm, press 1. To cancel, press 2.' : 'If you cannot attend, please call us on: [TRD1]. Goodbye.');

const EN: Record<Variant, Texts> = {
  'appointment.created': {
    email: enPatientEmail(
      'Appointment confirmed: [TRD31] at [TRD9]',
      lines('Your appointment at [TRD0] has been booked.', '', EN_DETAILS),
      'To change or cancel your appointment, please contact us: [TRD1]',
    ),
    sms: '[TRD0]: Dear [TRD3], your appointment is booked for [TRD25] [TRD26] at [TRD9]. To change or cancel: [TRD1]',
    voice: `${EN_VOICE_HELLO} Your appointment is confirmed for [TRD31] at [TRD9]. Location: [TRD27]. To change or cancel it, please call: [TRD1]. Goodbye.`,
  },
  'appointment.modified': {
    email: enPatientEmail(
      'Appointment changed: [TRD31] at [TRD9]',
      lines('Your appointment at [TRD0] has been changed. Here are the updated details:', '', EN_DETAILS),
      'If you have any questions, please contact us: [TRD1]',
    ),
    sms: '[TRD0]: Dear [TRD3], your appointment has been changed to [TRD25] [TRD26] at [TRD9]. Info: [TRD1]',
    voice: `${EN_VOICE_HELLO} Your appointment has been changed: it is now on [TRD31] at [TRD9]. Location: [TRD27]. For information, please call: [TRD1]. Goodbye.`,
  },
  'appointment.cancelled': {
    email: enPatientEmail(
      'Appointment cancelled: [TRD31] at [TRD9]',
      'Your appointment at [TRD0] on [TRD31] at [TRD9] has been cancelled.',
      'To book a new appointment, please contact us: [TRD1]',
    ),
    sms: '[TRD0]: Dear [TRD3], your appointment on [TRD25] [TRD26] at [TRD9] has been cancelled. To book again: [TRD1]',
    voice: `${EN_VOICE_HELLO} Your appointment on [TRD31] at [TRD9] has been cancelled. To book a new one, please call: [TRD1]. Goodbye.`,
  },
  'appointment.reminder': { email: enReminderEmail(false, false), sms: enReminderSms(false, false), voice: enReminderVoice(false, false) },
  'appointment.reminder+confirm': { email: enReminderEmail(false, true), sms: enReminderSms(false, true), voice: enReminderVoice(false, true) },
  'appointment.second_reminder': { email: enReminderEmail(true, false), sms: enReminderSms(true, false), voice: enReminderVoice(true, false) },
  'appointment.second_reminder+confirm': { email: enReminderEmail(true, true), sms: enReminderSms(true, true), voice: enReminderVoice(true, true) },
  'appointment.post_visit+thanks': {
    email: enPatientEmail(
      'Thank you for choosing us',
      'Thank you for choosing [TRD0]. We hope your visit went well.',
      'If you need anything, we are here to help: [TRD1]',
    ),
    sms: '[TRD0]: Dear [TRD3], thank you for choosing us. If you need anything, we are here to help: [TRD1]',
    voice: `${EN_VOICE_HELLO} Thank you for choosing us. If you need anything, we are here to help. Goodbye.`,
  },
  'appointment.post_visit+survey': {
    email: enPatientEmail(
      'How was your visit?',
      'Thank you for choosing [TRD0]. Your opinion helps us improve: our short survey takes only a few minutes.',
      'Survey: [SURVEY_URL]',
    ),
    sms: '[TRD0]: Dear [TRD3], thank you for your visit. Help us improve with a short survey: [SURVEY_URL]',
    voice: `${EN_VOICE_HELLO} Thank you for choosing us. Your opinion matters. If you would like to share it, please call: [TRD1]. Goodbye.`,
  },
  recall: {
    email: enPatientEmail(
      'Time to book your next visit',
      'Some time has passed since your last visit to [TRD0]: it is time to book the next one.',
      lines(
        'To book, please call us: [TRD1]',
        'Or visit our website: [TRD38]',
        'If you do not have an account yet, you can create one here: [SETUP_URL]',
      ),
    ),
    sms: '[TRD0]: Dear [TRD3], it is time to book your next visit. To book: [TRD1]. Create your account: [SETUP_URL]',
    voice: `${EN_VOICE_HELLO} Some time has passed since your last visit: it is time to book the next one. To book, please call: [TRD1]. Goodbye.`,
  },
  'alert.delay': {
    email: enPatientEmail(
      'Delay: your appointment on [TRD31] is now at [TRD9]',
      lines(
        'Due to an unexpected delay, your appointment at [TRD0] on [TRD31] has been postponed by [DELAY_MINUTES] minutes.',
        '',
        'Please arrive at [TRD9].',
        '',
        'With: [TRD5]',
        'Where: [TRD27], [TRD30], [TRD28]',
      ),
      lines('We apologise for the inconvenience.', 'For information: [TRD1]'),
    ),
    sms: '[TRD0]: Dear [TRD3], due to an unexpected delay your appointment on [TRD25] [TRD26] is moved to [TRD9] ([DELAY_MINUTES] minutes later). We apologise.',
    voice: `${EN_VOICE_HELLO} Due to an unexpected delay, your appointment on [TRD31] has been postponed by [DELAY_MINUTES] minutes. Please arrive at [TRD9]. We apologise for the inconvenience. Goodbye.`,
  },
  'alert.cancellation': {
    email: enPatientEmail(
      'Appointment cancelled: [TRD31] at [TRD9]',
      lines(
        'We are sorry to let you know that, due to an unexpected absence, your appointment at [TRD0] has been cancelled.',
        '',
        'Cancelled appointment: [TRD25] [TRD8] at [TRD9]',
        'With: [TRD5]',
      ),
      'We apologise for the inconvenience. Please call us to book a new appointment: [TRD1]',
    ),
    sms: '[TRD0]: Dear [TRD3], we are sorry: your appointment on [TRD25] [TRD26] at [TRD9] is cancelled. To book a new one: [TRD1]',
    voice: `${EN_VOICE_HELLO} Due to an unexpected absence, your appointment on [TRD31] at [TRD9] has been cancelled. We apologise for the inconvenience. To book a new appointment, please call: [TRD1]. Goodbye.`,
  },
  'resource.reminder': {
    email: {
      subject: 'Reminder: [TRD3] [TRD4], [TRD31] at [TRD9]',
      body: lines('Dear [TRD5],', '', 'This is a reminder of the following appointment:', '', EN_RESOURCE_DETAILS, '', '[TRD0]'),
    },
    sms: '[TRD0]: reminder, appointment on [TRD25] [TRD26] at [TRD9]. Patient: [TRD3] [TRD4]',
    voice: 'This is a message for [TRD5] from [TRD0]. This is a reminder of your appointment on [TRD31] at [TRD9]. Patient: [TRD3] [TRD4]. Goodbye.',
  },
  'resource.new_appointment': {
    email: {
      subject: 'New appointment: [TRD3] [TRD4], [TRD31] at [TRD9]',
      body: lines('Dear [TRD5],', '', 'A new appointment has been booked with you:', '', EN_RESOURCE_DETAILS, '', '[TRD0]'),
    },
    sms: '[TRD0]: new appointment on [TRD25] [TRD26] at [TRD9]. Patient: [TRD3] [TRD4]',
    voice: 'This is a message for [TRD5] from [TRD0]. A new appointment has been booked with you, on [TRD31] at [TRD9]. Patient: [TRD3] [TRD4]. Goodbye.',
  },
  'center.notice': {
    email: {
      subject: 'Notice from the patient messaging system: [TRD0]',
      body: lines('[NOTICE]', '', 'This message was sent automatically by the patient messaging system of [TRD0].'),
    },
    sms: '[TRD0]: [NOTICE]',
    voice: 'Notice for [TRD0] from the patient messaging system. [NOTICE]',
  },
  password: {
    email: {
      subject: 'Your access details: [TRD0]',
      body: lines(
        'Hello,',
        '',
        'Here are your details for the reserved area of [TRD0].',
        '',
        'Password: [PASSWORD]',
        'Access link: [SETUP_URL]',
        '',
        'For your security, please do not forward this message. If you did not ask for access, you can ignore it.',
        '',
        EN_SIGN,
      ),
    },
    sms: '[TRD0]: here are your details for the reserved area. Password: [PASSWORD]. Access link: [SETUP_URL]',
    voice: 'This is a message from [TRD0]. Your password for the reserved area is: [PASSWORD]. Again: [PASSWORD]. Goodbye.',
  },
};

const BY_LOCALE: Record<Locale, Record<Variant, Texts>> = { it: IT, en: EN };

function variantOf(kind: EventKind, options: DefaultTemplateOptions): Variant {
  switch (kind) {
    case 'appointment.reminder':
    case 'appointment.second_reminder':
      return options.requestConfirmation ? `${kind}+confirm` : kind;
    case 'appointment.post_visit':
      return options.survey ? 'appointment.post_visit+survey' : 'appointment.post_visit+thanks';
    default:
      return kind;
  }
}

/** A4: the built-in template of an event kind × channel × language (and variant). */
export function defaultTemplate(
  kind: EventKind,
  channel: Channel,
  locale: Locale,
  options: DefaultTemplateOptions = {},
): DefaultTemplate {
  const texts = BY_LOCALE[locale][variantOf(kind, options)];
  if (channel === 'email') return { subject: texts.email.subject, body: texts.email.body };
  return { subject: null, body: texts[channel] };
}

/** The option sets that change a default text, per event kind (for tests and "reset all"). */
export function defaultTemplateVariants(kind: EventKind): DefaultTemplateOptions[] {
  if (kind === 'appointment.reminder' || kind === 'appointment.second_reminder') return [{}, { requestConfirmation: true }];
  if (kind === 'appointment.post_visit') return [{}, { survey: true }];
  return [{}];
}
