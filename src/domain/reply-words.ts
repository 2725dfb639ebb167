/**
 * B2-confirm and X1: what an SMS reply means. The whole reply must be one of the words or
 * phrases below (Italian, English, Spanish), compared without case, accents or punctuation
 * ("Sì!" = "si" = "SÍ"), optionally followed by a polite word ("Sì, grazie"). Anything else is
 * null: free text is never guessed at, a missed answer is better than a wrong cancellation.
 *
 * - confirm: SI, CONFERMO, CONFERMA, CONFERMATO, CONFERMATA, VA BENE, OK, OKAY, YES, Y, CONFIRM,
 *   CONFIRMED, C, 1, CONFIRMAR, CONFIRMO, CONFIRMADO, CONFIRMADA, VALE
 * - cancel (the appointment): NO, ANNULLA, ANNULLO, ANNULLARE, DISDICO, DISDETTA, DISDIRE,
 *   CANCELLA, CANCELLO, CANCEL APPOINTMENT, CANCEL MY APPOINTMENT, CANCEL BOOKING, 2, ANULAR,
 *   ANULO, ANULAR CITA, CANCELAR, CANCELO, CANCELAR CITA
 * - stop (opt out of SMS): STOP, STOPALL, STOP ALL, UNSUBSCRIBE, END, QUIT, CANCEL, REVOKE,
 *   OPTOUT, OPT OUT, BASTA, DISISCRIVI, DISISCRIVIMI, CANCELLAMI, BAJA, DAR DE BAJA, PARAR.
 *   CANCEL alone is a carrier opt-out keyword (the carrier stops delivering to that number
 *   whatever we do), so it means stop here and never cancels an appointment.
 * - start (opt back in): START, UNSTOP, SUBSCRIBE, ISCRIVI, ISCRIVIMI, ALTA, DAR DE ALTA.
 *   Carriers also treat YES as opt-in; here YES confirms, which is harmless.
 */
export type SmsReply = 'confirm' | 'cancel' | 'stop' | 'start';

export const REPLY_WORDS: Readonly<Record<SmsReply, readonly string[]>> = {
  confirm: [
    'SI', 'CONFERMO', 'CONFERMA', 'CONFERMATO', 'CONFERMATA', 'VA BENE', 'OK', 'OKAY', 'YES', 'Y',
    'CONFIRM', 'CONFIRMED', 'C', '1', 'CONFIRMAR', 'CONFIRMO', 'CONFIRMADO', 'CONFIRMADA', 'VALE',
  ],
  cancel: [
    'NO', 'ANNULLA', 'ANNULLO', 'ANNULLARE', 'DISDICO', 'DISDETTA', 'DISDIRE', 'CANCELLA', 'CANCELLO',
    'CANCEL APPOINTMENT', 'CANCEL MY APPOINTMENT', 'CANCEL BOOKING', '2', 'ANULAR', 'ANULO', 'ANULAR CITA',
    'CANCELAR', 'CANCELO', 'CANCELAR CITA',
  ],
  stop: [
    'STOP', 'STOPALL', 'STOP ALL', 'UNSUBSCRIBE', 'END', 'QUIT', 'CANCEL', 'REVOKE', 'OPTOUT', 'OPT OUT',
    'BASTA', 'DISISCRIVI', 'DISISCRIVIMI', 'CANCELLAMI', 'BAJA', 'DAR DE BAJA', 'PARAR',
  ],
  start: ['START', 'UNSTOP', 'SUBSCRIBE', 'ISCRIVI', 'ISCRIVIMI', 'ALTA', 'DAR DE ALTA'],
};

/** Polite words allowed after the answer ("Confermo, grazie!"). */
const TRAILING_COURTESY = ['GRAZIE MILLE', 'GRAZIE', 'THANK YOU', 'THANKS', 'THX', 'PLEASE', 'PER FAVORE', 'GRACIAS', 'POR FAVOR', 'SALUTI', 'CIAO'];

const MEANING = new Map<string, SmsReply>(
  (Object.entries(REPLY_WORDS) as [SmsReply, readonly string[]][]).flatMap(([meaning, words]) => words.map((w) => [w, meaning] as const)),
);

/** Upper case, accents and punctuation removed, single spaces: "  Sì,  grazie! " → "SI GRAZIE". */
export function normalizeReply(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, ' ')
    .trim();
}

export function parseSmsReply(text: string): SmsReply | null {
  if (typeof text !== 'string') throw new TypeError('text: must be a string');
  let words = normalizeReply(text);
  for (;;) {
    const meaning = MEANING.get(words);
    if (meaning) return meaning;
    const courtesy = TRAILING_COURTESY.find((c) => words.endsWith(` ${c}`));
    if (!courtesy) return null;
    words = words.slice(0, -(courtesy.length + 1));
  }
}
