/**
 * F1: how many SMS segments a text costs.
 *
 * GSM-7 (3GPP TS 23.038 basic table + extension table): 160 septets in a single message, 153 per
 * part of a concatenated one (the rest is the concatenation header); an extension character
 * (escape + char) counts 2 septets and is never split across parts. A single character outside
 * both tables switches the whole text to UCS-2: 70 UTF-16 code units single, 67 per part, and a
 * surrogate pair (e.g. an emoji) is never split. Note that the basic table has àèéìòù, Ç, É, ñ
 * but not È, á, í, ó, ú, ç: "Sí" is UCS-2.
 */
export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegments {
  encoding: SmsEncoding;
  /** Parts billed by the carrier; 0 for an empty text. */
  segments: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) of the whole text. */
  units: number;
}

const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');

export const GSM_SINGLE = 160;
export const GSM_PART = 153;
export const UCS2_SINGLE = 70;
export const UCS2_PART = 67;

/** Greedy packing of unit costs into parts of `partSize`, never splitting one character. */
function countParts(costs: number[], single: number, partSize: number): { segments: number; units: number } {
  const units = costs.reduce((sum, c) => sum + c, 0);
  if (units === 0) return { segments: 0, units };
  if (units <= single) return { segments: 1, units };
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > partSize) {
      segments += 1;
      used = 0;
    }
    used += cost;
  }
  return { segments, units };
}

export function smsSegments(text: string): SmsSegments {
  if (typeof text !== 'string') throw new TypeError('text: must be a string');
  const chars = Array.from(text); // code points: a surrogate pair stays whole
  const gsm = chars.every((c) => GSM_BASIC.has(c) || GSM_EXTENSION.has(c));
  if (gsm) {
    return { encoding: 'GSM-7', ...countParts(chars.map((c) => (GSM_EXTENSION.has(c) ? 2 : 1)), GSM_SINGLE, GSM_PART) };
  }
  return { encoding: 'UCS-2', ...countParts(chars.map((c) => c.length), UCS2_SINGLE, UCS2_PART) };
}
