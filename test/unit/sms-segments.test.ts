import { describe, expect, it } from 'vitest';
import { smsSegments } from '../../src/domain/sms-segments.js';

const a = (n: number) => 'a'.repeat(n);

describe('F1: SMS segments, GSM-7', () => {
  it('F1: an empty text is no segment', () => {
    expect(smsSegments('')).toEqual({ encoding: 'GSM-7', segments: 0, units: 0 });
  });

  it('F1: 160 characters fit one SMS, 161 need two', () => {
    expect(smsSegments(a(160))).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    expect(smsSegments(a(161))).toEqual({ encoding: 'GSM-7', segments: 2, units: 161 });
  });

  it('F1: concatenated parts hold 153 characters (306 → 2, 307 → 3, 459 → 3, 460 → 4)', () => {
    expect(smsSegments(a(306)).segments).toBe(2);
    expect(smsSegments(a(307)).segments).toBe(3);
    expect(smsSegments(a(459)).segments).toBe(3);
    expect(smsSegments(a(460)).segments).toBe(4);
  });

  it('F1: extension characters count two (€ at the 160 boundary)', () => {
    expect(smsSegments(`${a(158)}€`)).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    expect(smsSegments(`${a(159)}€`)).toEqual({ encoding: 'GSM-7', segments: 2, units: 161 });
  });

  it('F1: every extension character counts two', () => {
    expect(smsSegments('^{}\\[~]|€\f').units).toBe(20);
    expect(smsSegments('^{}\\[~]|€\f').encoding).toBe('GSM-7');
  });

  it('F1: an extension character is never split across parts', () => {
    // 152 + 2 + 152 = 306 septets, yet the € cannot start in the last septet of part one.
    expect(smsSegments(`${a(152)}€${a(152)}`)).toEqual({ encoding: 'GSM-7', segments: 3, units: 306 });
    expect(smsSegments(`${a(151)}€${a(153)}`)).toEqual({ encoding: 'GSM-7', segments: 2, units: 306 });
  });

  it('F1: Italian accents of the GSM table keep GSM-7 (àèéìòù, É, Ç), as do newlines and £ $ ¥ @', () => {
    const text = 'Gentile Anna, è confermato l\'appuntamento di lunedì alle 09:00.\nPerché? Così: àèéìòù É Ç £$¥@ ñ ü ß';
    expect(smsSegments(text).encoding).toBe('GSM-7');
    expect(smsSegments(text).units).toBe(text.length);
  });
});

describe('F1: SMS segments, UCS-2', () => {
  it('F1: one character outside GSM-7 switches the whole text (È, á, í, ç, emoji)', () => {
    for (const ch of ['È', 'á', 'í', 'ç', 'ó', '😀', '’', '“']) {
      expect(smsSegments(`Ciao ${ch}`).encoding, ch).toBe('UCS-2');
    }
  });

  it('F1: 70 characters fit one SMS, 71 need two', () => {
    expect(smsSegments(`È${a(69)}`)).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
    expect(smsSegments(`È${a(70)}`)).toEqual({ encoding: 'UCS-2', segments: 2, units: 71 });
  });

  it('F1: concatenated parts hold 67 units (134 → 2, 135 → 3)', () => {
    expect(smsSegments(`È${a(133)}`).segments).toBe(2);
    expect(smsSegments(`È${a(134)}`).segments).toBe(3);
  });

  it('F1: an emoji is two UTF-16 units and is never split', () => {
    expect(smsSegments(`${a(68)}😀`)).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
    expect(smsSegments(`${a(69)}😀`)).toEqual({ encoding: 'UCS-2', segments: 2, units: 71 });
    // 66 + 2 + 66 = 134 units: the emoji does not fit the 67th unit of part one.
    expect(smsSegments(`${a(66)}😀${a(66)}`)).toEqual({ encoding: 'UCS-2', segments: 3, units: 134 });
  });

  it('F1: Spanish "Sí" costs UCS-2 (í is not in the GSM table)', () => {
    expect(smsSegments('Responda Sí o No').encoding).toBe('UCS-2');
  });
});
