/**
 * The plain data one message render needs (A4, A4-tags). The render activity loads it from the
 * database just before rendering; it holds patient data, so it must never be passed through
 * workflow inputs, signals or results (Temporal history), only used inside an activity.
 *
 * Every field that may be missing is nullable: a missing value renders as nothing, never as
 * "null" (see renderTemplate in placeholders.ts).
 */
export interface RenderContext {
  center: {
    name: string;
    phone: string | null;
    website: string | null;
    /** ISO 4217 code, e.g. "EUR"; TRD12 is formatted with it. */
    currency: string;
  };
  /** Null for messages to resources or admins. */
  patient: {
    firstName: string;
    lastName: string | null;
    mobile: string | null;
    address: string | null;
  } | null;
  resource: {
    name: string;
    address: string | null;
    phone: string | null;
  } | null;
  appointment: {
    /** For alert.delay, the recomputed start (start + delay), so TRD9 tells the new time. */
    startAt: Date;
    endAt: Date;
    notes: string | null;
    groupName: string | null;
    priceList: string | null;
  } | null;
  service: {
    name: string;
    /** Decimal string in the center's currency, e.g. "80.00". */
    price: string | null;
    durationMinutes: number | null;
    preparation: string | null;
    /** A4-prep: TRD23 renders the preparation only when this is on. */
    sendPreparation: boolean;
  } | null;
  /** The "sede" / agenda (A4-site). */
  location: {
    site: string;
    locality: string | null;
    phone: string | null;
    address: string | null;
    notes: string | null;
  } | null;
  /** Values that exist only for some events (links, delay, notices, passwords). */
  extra: RenderExtra;
}

export interface RenderExtra {
  /** B2-confirm links (HMAC-signed, expiring). */
  confirmUrl?: string | null;
  cancelUrl?: string | null;
  /** B2-recall / B7 account set-up or password-reset link. */
  setupUrl?: string | null;
  /** B3 satisfaction survey. */
  surveyUrl?: string | null;
  /** X1 opt-out link. */
  unsubscribeUrl?: string | null;
  /** B4 delay in minutes. */
  delayMinutes?: number | null;
  /** B6 text of the notice to the center's admins. */
  notice?: string | null;
  /** B7 a generated password; redacted in the stored copy. */
  password?: string | null;
}

/**
 * A made-up but complete context, for previewing a template when the center has no appointment
 * to preview against yet. Monday 3 June 2030, 09:30–10:00 in Europe/Rome.
 */
export function exampleRenderContext(): RenderContext {
  return {
    center: { name: 'Centro Medico San Luca', phone: '06 1234 5678', website: 'www.centrosanluca.it', currency: 'EUR' },
    patient: { firstName: 'Maria', lastName: 'Rossi', mobile: '+39 333 123 4567', address: 'Via Appia Nuova 12, Roma' },
    resource: { name: 'Dott.ssa Laura Bianchi', address: 'Via Cola di Rienzo 120, Roma', phone: '06 7654 3210' },
    appointment: {
      startAt: new Date('2030-06-03T07:30:00Z'),
      endAt: new Date('2030-06-03T08:00:00Z'),
      notes: 'Portare gli esami precedenti',
      groupName: 'Cardiologia',
      priceList: 'Privati',
    },
    service: {
      name: 'Visita cardiologica',
      price: '80.00',
      durationMinutes: 30,
      preparation: 'Si presenti a digiuno da 12 ore.',
      sendPreparation: true,
    },
    location: {
      site: 'Poliambulatorio Prati',
      locality: 'Roma',
      phone: '06 1111 2222',
      address: 'Via Cola di Rienzo 120',
      notes: 'Si registri alla reception al Suo arrivo.',
    },
    extra: {},
  };
}
