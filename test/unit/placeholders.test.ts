import { describe, expect, it } from 'vitest';
import {
  PLACEHOLDERS,
  REDACTED,
  placeholdersIn,
  renderMessage,
  renderTemplate,
  validateTemplate,
  type PlaceholderName,
  type RenderOptions,
} from '../../src/domain/placeholders.js';
import type { RenderContext } from '../../src/domain/render-context.js';

/** Monday 3 June 2030, 09:30–10:00 in Rome (CEST, UTC+2). */
function fullContext(): RenderContext {
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
    service: { name: 'Visita cardiologica', price: '80.00', durationMinutes: 30, preparation: 'Si presenti a digiuno da 12 ore.', sendPreparation: true },
    location: { site: 'Poliambulatorio Prati', locality: 'Roma', phone: '06 1111 2222', address: 'Via Cola di Rienzo 120', notes: 'Si registri alla reception al Suo arrivo.' },
    extra: {
      confirmUrl: 'https://sanluca.example.it/c/AbC',
      cancelUrl: 'https://sanluca.example.it/x/AbC',
      setupUrl: 'https://sanluca.example.it/s/Tok',
      surveyUrl: 'https://sanluca.example.it/q/1',
      unsubscribeUrl: 'https://sanluca.example.it/u/1',
      delayMinutes: 25,
      notice: 'Crediti in esaurimento.',
      password: 'k7Qx9p',
    },
  };
}

/** Nothing known beyond the center's name. */
function emptyContext(): RenderContext {
  return {
    center: { name: 'Centro Medico San Luca', phone: null, website: null, currency: 'EUR' },
    patient: null,
    resource: null,
    appointment: null,
    service: null,
    location: null,
    extra: {},
  };
}

const IT: RenderOptions = { locale: 'it', timeZone: 'Europe/Rome' };
const EN: RenderOptions = { locale: 'en', timeZone: 'Europe/Rome' };

describe('A4-tags: the legend', () => {
  const seedLegend: Record<string, string[]> = {
    center: ['TRD0', 'TRD1', 'TRD38'],
    patient: ['TRD3', 'TRD4', 'TRD35', 'TRD36'],
    resource: ['TRD5', 'TRD6', 'TRD7'],
    appointment: ['TRD8', 'TRD26', 'TRD31', 'TRD32', 'TRD25', 'TRD33', 'TRD9', 'TRD10', 'TRD11', 'TRD12', 'TRD13', 'TRD14', 'TRD23', 'TRD37', 'TRD39'],
    location: ['TRD24', 'TRD27', 'TRD28', 'TRD29', 'TRD30'],
  };

  it('A4-tags: lists every [TRDn] of the original legend in its group, in the same order', () => {
    for (const [group, names] of Object.entries(seedLegend)) {
      expect(PLACEHOLDERS.filter((p) => p.group === group).map((p) => p.name)).toEqual(names);
    }
    expect(PLACEHOLDERS.filter((p) => p.name.startsWith('TRD'))).toHaveLength(30);
  });

  it('A4-tags: every tag has its bracketed form and a description in Italian and English', () => {
    for (const p of PLACEHOLDERS) {
      expect(p.tag).toBe(`[${p.name}]`);
      expect(p.description.it.length).toBeGreaterThan(3);
      expect(p.description.en.length).toBeGreaterThan(3);
    }
  });

  it('A4-prep: the legend says TRD23 is the preparation and TRD14 the appointment notes', () => {
    const byName = new Map(PLACEHOLDERS.map((p) => [p.name, p]));
    expect(byName.get('TRD23')?.description.it).toMatch(/^Preparazione/);
    expect(byName.get('TRD23')?.description.en).toMatch(/^Preparation/);
    expect(byName.get('TRD14')?.description.it).toMatch(/^Note/);
    expect(byName.get('TRD14')?.description.en).toMatch(/notes/);
    expect(byName.get('TRD24')?.description.it).toMatch(/sede/);
  });

  it('A4-tags: product tags for links, delay, notice and password are described too', () => {
    const names = PLACEHOLDERS.filter((p) => p.group === 'message').map((p) => p.name);
    expect(names).toEqual(['CONFIRM_URL', 'CANCEL_URL', 'SETUP_URL', 'SURVEY_URL', 'UNSUBSCRIBE_URL', 'DELAY_MINUTES', 'NOTICE', 'PASSWORD']);
  });
});

describe('A4-tags: every tag rendered from the current data', () => {
  const expected: Record<PlaceholderName, [it: string, en: string]> = {
    TRD0: ['Centro Medico San Luca', 'Centro Medico San Luca'],
    TRD1: ['06 1234 5678', '06 1234 5678'],
    TRD38: ['www.centrosanluca.it', 'www.centrosanluca.it'],
    TRD3: ['Maria', 'Maria'],
    TRD4: ['Rossi', 'Rossi'],
    TRD35: ['+39 333 123 4567', '+39 333 123 4567'],
    TRD36: ['Via Appia Nuova 12, Roma', 'Via Appia Nuova 12, Roma'],
    TRD5: ['Dott.ssa Laura Bianchi', 'Dott.ssa Laura Bianchi'],
    TRD6: ['Via Cola di Rienzo 120, Roma', 'Via Cola di Rienzo 120, Roma'],
    TRD7: ['06 7654 3210', '06 7654 3210'],
    TRD8: ['03/06/2030', '03/06/2030'],
    TRD26: ['03/06', '03/06'],
    TRD31: ['Lunedì 3 Giugno', 'Monday 3 June'],
    TRD32: ['Giugno', 'June'],
    TRD25: ['Lunedì', 'Monday'],
    TRD33: ['3', '3'],
    TRD9: ['09:30', '09:30'],
    TRD10: ['10:00', '10:00'],
    TRD11: ['Visita cardiologica', 'Visita cardiologica'],
    TRD12: ['80,00 €', '€80.00'],
    TRD13: ['30 min', '30 min'],
    TRD14: ['Portare gli esami precedenti', 'Portare gli esami precedenti'],
    TRD23: ['Si presenti a digiuno da 12 ore.', 'Si presenti a digiuno da 12 ore.'],
    TRD37: ['Cardiologia', 'Cardiologia'],
    TRD39: ['Privati', 'Privati'],
    TRD24: ['Si registri alla reception al Suo arrivo.', 'Si registri alla reception al Suo arrivo.'],
    TRD27: ['Poliambulatorio Prati', 'Poliambulatorio Prati'],
    TRD28: ['Roma', 'Roma'],
    TRD29: ['06 1111 2222', '06 1111 2222'],
    TRD30: ['Via Cola di Rienzo 120', 'Via Cola di Rienzo 120'],
    CONFIRM_URL: ['https://sanluca.example.it/c/AbC', 'https://sanluca.example.it/c/AbC'],
    CANCEL_URL: ['https://sanluca.example.it/x/AbC', 'https://sanluca.example.it/x/AbC'],
    SETUP_URL: ['https://sanluca.example.it/s/Tok', 'https://sanluca.example.it/s/Tok'],
    SURVEY_URL: ['https://sanluca.example.it/q/1', 'https://sanluca.example.it/q/1'],
    UNSUBSCRIBE_URL: ['https://sanluca.example.it/u/1', 'https://sanluca.example.it/u/1'],
    DELAY_MINUTES: ['25', '25'],
    NOTICE: ['Crediti in esaurimento.', 'Crediti in esaurimento.'],
    PASSWORD: ['k7Qx9p', 'k7Qx9p'],
  };

  it('A4-tags: the expectations below cover every tag of the legend', () => {
    expect(Object.keys(expected).sort()).toEqual(PLACEHOLDERS.map((p) => p.name).sort());
  });

  for (const p of PLACEHOLDERS) {
    const [itValue, enValue] = expected[p.name];
    it(`A4-tags: ${p.tag} → "${itValue}" in Italian, "${enValue}" in English`, () => {
      expect(renderTemplate(p.tag, fullContext(), IT)).toBe(itValue);
      expect(renderTemplate(p.tag, fullContext(), EN)).toBe(enValue);
    });
  }

  it('A4-tags: tags are recognised whatever their case ([trd3] = [TRD3])', () => {
    expect(renderTemplate('Gentile [trd3] [Trd4], [confirm_url]', fullContext(), IT)).toBe('Gentile Maria Rossi, https://sanluca.example.it/c/AbC');
  });

  it('A4-tags: TRD13 shows hours and minutes; TRD12 follows the currency and the language', () => {
    const ctx = fullContext();
    const service = { name: 'Risonanza', price: '1234.5', durationMinutes: 90, preparation: null, sendPreparation: false };
    expect(renderTemplate('[TRD13] | [TRD12]', { ...ctx, service }, IT)).toBe('1 h 30 min | 1234,50 €');
    expect(renderTemplate('[TRD13] | [TRD12]', { ...ctx, service }, EN)).toBe('1 h 30 min | €1,234.50');
    expect(renderTemplate('[TRD13]', { ...ctx, service: { ...service, durationMinutes: 120 } }, IT)).toBe('2 h');
    expect(renderTemplate('[TRD12]', { ...ctx, center: { ...ctx.center, currency: 'CHF' } }, IT)).toBe('80,00 CHF');
  });

  it('A4-tags: prices use plain spaces, so an SMS stays in the GSM alphabet', () => {
    expect(renderTemplate('[TRD12]', fullContext(), IT)).not.toMatch(/[\u00a0\u202f]/);
  });

  it('A4-tags: a weekday and month are capitalised as the original shows them (Giovedì 31 Ottobre)', () => {
    const ctx = fullContext();
    const appointment = { ...ctx.appointment!, startAt: new Date('2030-10-31T10:00:00Z'), endAt: new Date('2030-10-31T10:30:00Z') };
    expect(renderTemplate('[TRD31] / [TRD25] / [TRD32] / [TRD33]', { ...ctx, appointment }, IT)).toBe('Giovedì 31 Ottobre / Giovedì / Ottobre / 31');
    expect(renderTemplate('[TRD31]', { ...ctx, appointment }, EN)).toBe('Thursday 31 October');
  });
});

describe("A4-tags: dates and times in the center's time zone", () => {
  const at = (iso: string): RenderContext => {
    const ctx = fullContext();
    return { ...ctx, appointment: { ...ctx.appointment!, startAt: new Date(iso), endAt: new Date(new Date(iso).getTime() + 30 * 60_000) } };
  };

  it('A4-tags: 08:00 UTC is 09:00 in Rome in winter (CET) and 10:00 in summer (CEST)', () => {
    expect(renderTemplate('[TRD8] [TRD9]-[TRD10]', at('2030-01-15T08:00:00Z'), IT)).toBe('15/01/2030 09:00-09:30');
    expect(renderTemplate('[TRD8] [TRD9]-[TRD10]', at('2030-07-15T08:00:00Z'), IT)).toBe('15/07/2030 10:00-10:30');
  });

  it('A4-tags: the day is the local day: 23:30 UTC on Saturday 30 March 2030 is Sunday 31 March in Rome, and the clocks move that night', () => {
    expect(renderTemplate('[TRD25] [TRD8] [TRD9]', at('2030-03-30T23:30:00Z'), IT)).toBe('Domenica 31/03/2030 00:30');
    expect(renderTemplate('[TRD25] [TRD8] [TRD9]', at('2030-03-31T01:30:00Z'), IT)).toBe('Domenica 31/03/2030 03:30');
  });

  it('A4-tags: another center time zone is honoured', () => {
    expect(renderTemplate('[TRD25] [TRD8] [TRD9]', at('2030-07-15T08:00:00Z'), { locale: 'en', timeZone: 'America/New_York' })).toBe('Monday 15/07/2030 04:00');
  });

  it('A4-tags: an unknown time zone is a clear error naming timeZone', () => {
    expect(() => renderTemplate('[TRD9]', fullContext(), { locale: 'it', timeZone: 'Europe/Atlantis' })).toThrow(/timeZone/);
  });
});

describe('A4: missing values render as nothing, cleanly', () => {
  const everyTag = PLACEHOLDERS.map((p) => `${p.name}: ${p.tag}`).join('\n');

  it('A4: with no data at all, no "undefined", "null", brackets or dangling labels are left', () => {
    const out = renderTemplate(`Gentile [TRD3] [TRD4],\n${everyTag}\n\nCordiali saluti,\n[TRD0]`, emptyContext(), IT);
    expect(out).toBe('Gentile,\nTRD0: Centro Medico San Luca\n\nCordiali saluti,\nCentro Medico San Luca');
  });

  it('A4: a missing last name leaves no double space nor space before the comma', () => {
    const ctx = fullContext();
    expect(renderTemplate('Gentile [TRD3] [TRD4], a presto', { ...ctx, patient: { ...ctx.patient!, lastName: null } }, IT)).toBe('Gentile Maria, a presto');
  });

  it('A4: a list of values loses the separators of the missing ones', () => {
    const ctx = fullContext();
    const tpl = 'Dove: [TRD27], [TRD30], [TRD28]';
    expect(renderTemplate(tpl, { ...ctx, location: { ...ctx.location!, address: null } }, IT)).toBe('Dove: Poliambulatorio Prati, Roma');
    expect(renderTemplate(tpl, { ...ctx, location: { ...ctx.location!, site: '', address: null } }, IT)).toBe('Dove: Roma');
    expect(renderTemplate(`Sede:\n${tpl}\nFine`, { ...ctx, location: null }, IT)).toBe('Sede:\nFine');
  });

  it('A4: empty parentheses are removed with their short label', () => {
    const ctx = fullContext();
    const noPhone = { ...ctx, resource: { ...ctx.resource!, phone: null } };
    expect(renderTemplate('Con [TRD5] (tel. [TRD7]).', noPhone, IT)).toBe('Con Dott.ssa Laura Bianchi.');
    expect(renderTemplate('Orario: [TRD9] ([TRD13])', { ...ctx, service: null }, IT)).toBe('Orario: 09:30');
  });

  it('A4: a labelled sentence whose value is missing disappears, the rest of the line stays', () => {
    const ctx = { ...fullContext(), location: null, center: { ...fullContext().center, phone: null } };
    expect(renderTemplate('Appuntamento alle [TRD9]. Sede: [TRD27]. Info: [TRD1]', ctx, IT)).toBe('Appuntamento alle 09:30.');
    expect(renderTemplate('Per disdire: [TRD1]\nGrazie', ctx, IT)).toBe('Grazie');
    expect(renderTemplate('Importante: se vuole, chiami il numero: [TRD1]. Grazie', ctx, IT)).toBe('Importante: se vuole, chiami il numero. Grazie');
  });

  it('A4: lines without missing values are kept as written (trimmed), and blank runs shrink to one', () => {
    const out = renderTemplate('  Gentile [TRD3],  \n\n[TRD24]\n\nA presto', { ...fullContext(), location: null }, IT);
    expect(out).toBe('Gentile Maria,\n\nA presto');
  });

  it('A4: a value that contains a tag is inserted as text, not expanded again', () => {
    const ctx = fullContext();
    expect(renderTemplate('[TRD14]', { ...ctx, appointment: { ...ctx.appointment!, notes: 'Vedi [TRD3] e [PASSWORD]' } }, IT)).toBe('Vedi [TRD3] e [PASSWORD]');
  });

  it('A4: free-text notes keep their lines; one-line fields lose stray line breaks', () => {
    const ctx = fullContext();
    const out = renderTemplate('[TRD3]\n[TRD24]', {
      ...ctx,
      patient: { ...ctx.patient!, firstName: 'Maria\r\nGrazia' },
      location: { ...ctx.location!, notes: 'Piano 2.\r\nSi registri alla reception.' },
    }, IT);
    expect(out).toBe('Maria Grazia\nPiano 2.\nSi registri alla reception.');
  });

  it('A4: an email subject is one line even when a value has line breaks', () => {
    const ctx = fullContext();
    const out = renderMessage({ subject: 'Avviso: [NOTICE]', body: '[NOTICE]' }, { ...ctx, extra: { notice: 'Riga uno\nRiga due' } }, IT);
    expect(out).toEqual({ subject: 'Avviso: Riga uno Riga due', body: 'Riga uno\nRiga due' });
  });
});

describe('A4-prep: preparation instructions only when the service says so', () => {
  const tpl = 'Quando: [TRD8]\nPreparazione: [TRD23]\nA presto';

  it('A4-prep: TRD23 shows the preparation when "send to patients" is on', () => {
    expect(renderTemplate(tpl, fullContext(), IT)).toBe('Quando: 03/06/2030\nPreparazione: Si presenti a digiuno da 12 ore.\nA presto');
  });

  it('A4-prep: TRD23 is hidden, with its label line, when the flag is off', () => {
    const ctx = fullContext();
    const out = renderTemplate(tpl, { ...ctx, service: { ...ctx.service!, sendPreparation: false } }, IT);
    expect(out).toBe('Quando: 03/06/2030\nA presto');
    expect(out).not.toContain('digiuno');
  });

  it('A4-prep: TRD14 is the appointment notes, not the preparation', () => {
    const ctx = fullContext();
    expect(renderTemplate('[TRD14]', { ...ctx, service: { ...ctx.service!, sendPreparation: false } }, IT)).toBe('Portare gli esami precedenti');
  });
});

describe('A4-site: location notes', () => {
  it('A4-site: TRD24 renders the notes of the location', () => {
    expect(renderTemplate('Dove: [TRD27]\n[TRD24]', fullContext(), IT)).toBe('Dove: Poliambulatorio Prati\nSi registri alla reception al Suo arrivo.');
  });

  it('A4-site: a location without notes leaves no empty line', () => {
    const ctx = fullContext();
    expect(renderTemplate('Dove: [TRD27]\n[TRD24]\nA presto', { ...ctx, location: { ...ctx.location!, notes: null } }, IT)).toBe('Dove: Poliambulatorio Prati\nA presto');
  });
});

describe('B7: passwords in the stored copy', () => {
  const tpl = 'Password: [PASSWORD]\nLink: [SETUP_URL]';

  it('B7: the message sent holds the password and the set-up link', () => {
    expect(renderTemplate(tpl, fullContext(), IT)).toBe('Password: k7Qx9p\nLink: https://sanluca.example.it/s/Tok');
  });

  it('B7: the redacted copy holds neither the password nor the set-up link', () => {
    const out = renderTemplate(tpl, fullContext(), { ...IT, redact: true });
    expect(out).toBe(`Password: ${REDACTED}\nLink: ${REDACTED}`);
    expect(out).not.toContain('k7Qx9p');
    expect(out).not.toContain('Tok');
  });

  it('B7: with nothing to hide the redacted copy shows nothing', () => {
    expect(renderTemplate(tpl, { ...fullContext(), extra: {} }, { ...IT, redact: true })).toBe('');
  });
});

describe('A4: voice rendering (spoken)', () => {
  const spokenIt: RenderOptions = { ...IT, spoken: true };
  const spokenEn: RenderOptions = { ...EN, spoken: true };

  it('A4: times are said naturally', () => {
    const ctx = fullContext();
    expect(renderTemplate('alle ore [TRD9], fine alle [TRD10]', ctx, spokenIt)).toBe('alle ore 9 e 30, fine alle 10');
    expect(renderTemplate('at [TRD9], until [TRD10]', ctx, spokenEn)).toBe('at 9:30 AM, until 10 AM');
    const noon = { ...ctx, appointment: { ...ctx.appointment!, startAt: new Date('2030-06-03T10:05:00Z') } };
    expect(renderTemplate('[TRD9]', noon, spokenEn)).toBe('12:05 PM');
    expect(renderTemplate('[TRD9]', noon, spokenIt)).toBe('12 e 5');
  });

  it('A4: phone numbers digit by digit, prices and durations in words, dates without slashes', () => {
    const ctx = { ...fullContext(), service: { ...fullContext().service!, durationMinutes: 90 } };
    expect(renderTemplate('[TRD1] | [TRD12] | [TRD13] | [TRD8]', ctx, spokenIt)).toBe('0 6, 1 2 3 4, 5 6 7 8 | 80 euro | 1 ora e 30 minuti | 3 giugno 2030');
    expect(renderTemplate('[TRD12] | [TRD13] | [TRD26]', ctx, spokenEn)).toBe('80 euros | 1 hour and 30 minutes | 3 June');
  });

  it('B7: a spoken password is spelled, and still hidden when redacted', () => {
    expect(renderTemplate('[PASSWORD]', fullContext(), spokenIt)).toBe('k 7 Q x 9 p');
    expect(renderTemplate('[PASSWORD]', fullContext(), { ...spokenIt, redact: true })).toBe(REDACTED);
  });
});

describe('A4-tags: templates are checked when saved', () => {
  const errorsOf = (text: string, options?: Parameters<typeof validateTemplate>[1]) => {
    const result = validateTemplate(text, options);
    return result.ok ? [] : result.errors;
  };

  it('A4-tags: a template using known tags is accepted', () => {
    expect(validateTemplate('Gentile [TRD3], il [TRD8] alle [TRD9]. [CONFIRM_URL]')).toEqual({ ok: true });
  });

  it('A4-tags: unknown tags are refused, each named', () => {
    const errors = errorsOf('Gentile [TRD99], ecco [FOO] e [NEW_TAG]');
    expect(errors.map((e) => e.tag)).toEqual(['[TRD99]', '[FOO]', '[NEW_TAG]']);
    expect(errors[0]?.message).toContain('[TRD99]');
    expect(errors[0]?.message).toMatch(/Unknown placeholder/);
  });

  it('A4-tags: malformed tags are refused with the fix', () => {
    const cases: [string, string, RegExp][] = [
      ['Gentile [TRD3 alle 9', '[TRD3', /closing "\]" is missing.*\[TRD3\]/],
      ['Gentile [TRD 3],', '[TRD 3]', /write it as \[TRD3\]/],
      ['Gentile [ TRD3 ],', '[ TRD3 ]', /write it as \[TRD3\]/],
      ['Gentile TRD3],', 'TRD3]', /opening "\[" is missing/],
      ['Caro TRD3, a presto', 'TRD3', /square brackets.*\[TRD3\]/],
      ['Confermi qui: CONFIRM_URL', 'CONFIRM_URL', /\[CONFIRM_URL\]/],
    ];
    for (const [text, tag, message] of cases) {
      const errors = errorsOf(text);
      expect(errors.map((e) => e.tag), text).toEqual([tag]);
      expect(errors[0]?.message, text).toMatch(message);
      expect(errors[0]?.index, text).toBe(text.indexOf(tag));
    }
  });

  it('A4-tags: lowercase tags are accepted (case-insensitive), ordinary bracketed text is not a tag', () => {
    expect(validateTemplate('Gentile [trd3], [confirm_url]')).toEqual({ ok: true });
    expect(validateTemplate('Porti i referti [nota bene] e il modulo [1]. Orari: 9-13 [lun-ven]')).toEqual({ ok: true });
    expect(renderTemplate('Porti i referti [nota bene]', fullContext(), IT)).toBe('Porti i referti [nota bene]');
  });

  it('A4-tags: all problems are reported in order, across lines', () => {
    const errors = errorsOf('Riga [TRD3]\n[TRD100] e [TRD 4]\nfine TRD5]');
    expect(errors.map((e) => e.tag)).toEqual(['[TRD100]', '[TRD 4]', 'TRD5]']);
  });

  it('A4-tags: a tag with no value for the event is refused when the event is given', () => {
    expect(errorsOf('[CONFIRM_URL]', { eventKind: 'appointment.created' }).map((e) => e.message)).toEqual([
      'Placeholder [CONFIRM_URL] has no value in "appointment.created" messages.',
    ]);
    expect(validateTemplate('[CONFIRM_URL] [CANCEL_URL]', { eventKind: 'appointment.reminder' })).toEqual({ ok: true });
    expect(validateTemplate('[DELAY_MINUTES]', { eventKind: 'alert.delay' })).toEqual({ ok: true });
    expect(validateTemplate('[TRD3] [TRD9]', { eventKind: 'recall' })).toEqual({ ok: true });
  });

  it('A4-tags: a voice template cannot speak a link', () => {
    const errors = errorsOf('Confermi qui [CONFIRM_URL]', { eventKind: 'appointment.reminder', channel: 'voice' });
    expect(errors.map((e) => e.tag)).toEqual(['[CONFIRM_URL]']);
    expect(errors[0]?.message).toMatch(/cannot be spoken/);
    expect(validateTemplate('Confermi qui [CONFIRM_URL]', { channel: 'sms' })).toEqual({ ok: true });
  });

  it('A4-tags: an unknown tag saved anyway renders as nothing at send time, never breaking the send', () => {
    expect(renderTemplate('Gentile [TRD3] [TRD99],', fullContext(), IT)).toBe('Gentile Maria,');
  });

  it('A4-tags: placeholdersIn lists the known tags a template uses', () => {
    expect(placeholdersIn('[TRD3] [trd3] [CONFIRM_URL] [FOO] [TRD 4]')).toEqual(['TRD3', 'CONFIRM_URL']);
  });
});
