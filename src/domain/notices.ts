import type { Locale } from './events.js';

/** B6: what the center's admins are told, and why. */
export type NoticeKind = 'credits_low' | 'credits_exhausted' | 'patient_cancelled' | 'delivery_failures' | 'channel_misconfigured' | 'daily_cap_reached';

const TEXTS: Record<NoticeKind, Record<Locale, (detail: string) => string>> = {
  credits_low: {
    it: (d) => `Il credito per le comunicazioni sta per esaurirsi (saldo: ${d}). Ricaricatelo per non interrompere gli invii.`,
    en: (d) => `Your messaging credit is running low (balance: ${d}). Top it up so messages keep going out.`,
  },
  credits_exhausted: {
    it: () => 'Il credito per le comunicazioni è esaurito: SMS ed email non vengono più inviati finché non viene ricaricato.',
    en: () => 'Your messaging credit is used up: messages are not sent until it is topped up.',
  },
  patient_cancelled: {
    it: (d) => `Un paziente ha disdetto tramite il promemoria l'appuntamento del ${d}. Lo spazio in agenda è libero.`,
    en: (d) => `A patient cancelled through a reminder the appointment of ${d}. The slot is free again.`,
  },
  delivery_failures: {
    it: (d) => `Ripetuti errori di consegna nelle ultime 24 ore (${d} messaggi). Controllate il riepilogo messaggi.`,
    en: (d) => `Repeated delivery failures in the last 24 hours (${d} messages). Please check the message summary.`,
  },
  channel_misconfigured: {
    it: (d) => `Un canale di invio non è configurato correttamente (${d}). I messaggi su quel canale non partono.`,
    en: (d) => `A sending channel is misconfigured (${d}). Messages on that channel are not going out.`,
  },
  daily_cap_reached: {
    it: (d) => `Raggiunto il limite giornaliero di ${d} SMS e chiamate: gli altri messaggi di oggi su questi canali non vengono inviati né addebitati. Per alzarlo contattate la piattaforma.`,
    en: (d) => `The daily limit of ${d} SMS and calls is reached: today's further messages on these channels are not sent nor charged. Contact the platform to raise it.`,
  },
};

export function noticeText(kind: NoticeKind, locale: Locale, detail = ''): string {
  return TEXTS[kind][locale](detail);
}
