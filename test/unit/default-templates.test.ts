import { describe, expect, it } from 'vitest';
import { defaultTemplate, defaultTemplateVariants, type DefaultTemplateOptions } from '../../src/domain/default-templates.js';
import { CHANNELS, EVENT_KINDS, LOCALES, type Channel, type EventKind, type Locale } from '../../src/domain/events.js';
import { REDACTED, placeholdersIn, renderMessage, validateTemplate, type RenderOptions } from '../../src/domain/placeholders.js';
import { exampleRenderContext, type RenderContext } from '../../src/domain/render-context.js';

/** The example center, Monday 3 June 2030 09:30 in Rome, with links of a realistic length. */
function typicalContext(): RenderContext {
  return {
    ...exampleRenderContext(),
    extra: {
      confirmUrl: 'https://sanluca.example.it/r/c/8fK2xQ',
      cancelUrl: 'https://sanluca.example.it/r/x/8fK2xQ',
      setupUrl: 'https://sanluca.example.it/s/Z3k9Pq',
      surveyUrl: 'https://sanluca.example.it/q/8fK2xQ',
      unsubscribeUrl: 'https://sanluca.example.it/u/8fK2xQ',
      delayMinutes: 30,
      notice: 'Crediti quasi esauriti: restano 40 crediti.',
      password: 'k7Qx9p',
    },
  };
}

/** Optional data missing (the delay and the notice are never missing for their events). */
function sparseContext(): RenderContext {
  const ctx = exampleRenderContext();
  return {
    center: { ...ctx.center, phone: null, website: null },
    patient: { firstName: 'Maria', lastName: null, mobile: null, address: null },
    resource: { name: 'Dott. Neri', address: null, phone: null },
    appointment: { ...ctx.appointment!, notes: null, groupName: null, priceList: null },
    service: null,
    location: null,
    extra: { delayMinutes: 30, notice: 'Crediti esauriti.' },
  };
}

const all: { kind: EventKind; channel: Channel; locale: Locale; options: DefaultTemplateOptions }[] = EVENT_KINDS.flatMap((kind) =>
  defaultTemplateVariants(kind).flatMap((options) =>
    CHANNELS.flatMap((channel) => LOCALES.map((locale) => ({ kind, channel, locale, options }))),
  ),
);

const label = (c: (typeof all)[number]) => `${c.kind}${Object.keys(c.options).length ? ` ${JSON.stringify(c.options)}` : ''} × ${c.channel} × ${c.locale}`;

function render(c: (typeof all)[number], ctx: RenderContext, redact = false) {
  const options: RenderOptions = { locale: c.locale, timeZone: 'Europe/Rome', spoken: c.channel === 'voice', redact };
  return renderMessage(defaultTemplate(c.kind, c.channel, c.locale, c.options), ctx, options);
}

/** GSM 03.38 basic alphabet; the extension table characters count twice. */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENDED = new Set('^{}\\[~]|€');
function gsmLength(text: string): number | null {
  let n = 0;
  for (const ch of text) {
    if (GSM_BASIC.has(ch)) n += 1;
    else if (GSM_EXTENDED.has(ch)) n += 2;
    else return null;
  }
  return n;
}

/** Leftovers a patient must never see. */
function expectClean(text: string, where: string) {
  expect(text, where).not.toMatch(/\[|\]|\bundefined\b|\bnull\b|\bNaN\b|Invalid DateTime/);
  expect(text, where).not.toMatch(/ {2}| [,.;:!?)]|\(\)|[,;:][.,;:!?]/);
  for (const line of text.split('\n')) expect(line, where).toBe(line.trim());
  expect(text, where).not.toMatch(/\n{3}/);
}

describe('A4: default templates for every event × channel × language', () => {
  it('A4: there is one for each of the 13 event kinds, 3 channels and 2 languages (plus variants)', () => {
    expect(all).toHaveLength((EVENT_KINDS.length + 2 + 1) * CHANNELS.length * LOCALES.length);
  });

  for (const c of all) {
    it(`A4: ${label(c)} validates and renders with no leftovers`, () => {
      const t = defaultTemplate(c.kind, c.channel, c.locale, c.options);
      expect(validateTemplate(t.body, { eventKind: c.kind, channel: c.channel }), 'body').toEqual({ ok: true });
      if (c.channel === 'email') {
        expect(t.subject).toBeTruthy();
        expect(validateTemplate(t.subject ?? '', { eventKind: c.kind, channel: c.channel }), 'subject').toEqual({ ok: true });
      } else {
        expect(t.subject).toBeNull();
      }
      for (const [name, ctx] of [['typical', typicalContext()], ['sparse', sparseContext()]] as const) {
        const out = render(c, ctx);
        expect(out.body.length, name).toBeGreaterThan(20);
        expectClean(out.body, `${name} body`);
        if (out.subject !== null) expectClean(out.subject, `${name} subject`);
      }
    });
  }

  it('A4: Italian texts are in Italian and English texts in English', () => {
    for (const c of all) {
      const { body } = render(c, typicalContext());
      if (c.locale === 'it') expect(body, label(c)).not.toMatch(/\b(Dear|Kind regards|Goodbye|Please|appointment|message)\b/);
      else expect(body, label(c)).not.toMatch(/\b(Gentile|Cordiali|Arrivederci|La preghiamo|appuntamento|messaggio)\b/);
    }
  });

  it('A4: an email tells the date in words and the time in its subject', () => {
    const { subject } = render({ kind: 'appointment.reminder', channel: 'email', locale: 'it', options: {} }, typicalContext());
    expect(subject).toBe('Promemoria appuntamento: Lunedì 3 Giugno alle 09:30');
  });
});

describe('A4: SMS defaults are short and discreet', () => {
  const sms = all.filter((c) => c.channel === 'sms');
  /** A set-up link's length is the integrator's (token size): these two may take a second segment. */
  const withSetupLink = new Set<EventKind>(['recall', 'password']);

  it('A4: every SMS fits one 160-character GSM segment with a typical context', () => {
    for (const c of sms) {
      const ctx = typicalContext();
      if (withSetupLink.has(c.kind)) ctx.extra.setupUrl = null;
      const { body } = render(c, ctx);
      const length = gsmLength(body);
      expect(length, `${label(c)}: not GSM-7: ${body}`).not.toBeNull();
      expect(length, `${label(c)}: ${body}`).toBeLessThanOrEqual(160);
    }
  });

  it('A4: a recall or password SMS with its set-up link stays within two segments', () => {
    for (const c of sms.filter((x) => withSetupLink.has(x.kind))) {
      expect(gsmLength(render(c, typicalContext()).body), label(c)).toBeLessThanOrEqual(306);
    }
  });

  it('A4: no patient SMS names the service, its price, the notes or the preparation (privacy)', () => {
    for (const c of sms.filter((x) => !x.kind.startsWith('resource.') && x.kind !== 'center.notice')) {
      const tags = placeholdersIn(defaultTemplate(c.kind, c.channel, c.locale, c.options).body);
      for (const sensitive of ['TRD11', 'TRD12', 'TRD14', 'TRD23', 'TRD24']) expect(tags, label(c)).not.toContain(sensitive);
    }
  });
});

describe('A4: voice defaults are written to be spoken', () => {
  it('A4: no links, times said as words, phone numbers digit by digit', () => {
    for (const c of all.filter((x) => x.channel === 'voice')) {
      const { body } = render(c, typicalContext());
      expect(body, label(c)).not.toMatch(/https?:|www\./);
      expect(body, label(c)).not.toMatch(/\d\d:\d\d/);
      expect(body, label(c)).not.toContain('06 1234 5678');
    }
    const { body } = render({ kind: 'appointment.reminder', channel: 'voice', locale: 'it', options: {} }, typicalContext());
    expect(body).toContain('Lunedì 3 Giugno alle ore 9 e 30');
    expect(body).toContain('0 6, 1 2 3 4, 5 6 7 8');
  });
});

describe('B2-confirm: the reminder asking for confirmation', () => {
  for (const kind of ['appointment.reminder', 'appointment.second_reminder'] as const) {
    it(`B2-confirm: ${kind} SMS asks to reply SI / NO in Italian and YES / NO in English`, () => {
      const it_ = render({ kind, channel: 'sms', locale: 'it', options: { requestConfirmation: true } }, typicalContext()).body;
      const en = render({ kind, channel: 'sms', locale: 'en', options: { requestConfirmation: true } }, typicalContext()).body;
      expect(it_).toMatch(/Risponda SI per confermare o NO per disdire/);
      expect(en).toMatch(/Reply YES to confirm or NO to cancel/);
      expect(render({ kind, channel: 'sms', locale: 'it', options: {} }, typicalContext()).body).not.toMatch(/\bSI\b/);
    });

    it(`B2-confirm: ${kind} email carries the confirm and cancel links`, () => {
      for (const locale of LOCALES) {
        const t = defaultTemplate(kind, 'email', locale, { requestConfirmation: true });
        expect(placeholdersIn(t.body)).toEqual(expect.arrayContaining(['CONFIRM_URL', 'CANCEL_URL']));
        const { body } = render({ kind, channel: 'email', locale, options: { requestConfirmation: true } }, typicalContext());
        expect(body).toContain('https://sanluca.example.it/r/c/8fK2xQ');
        expect(body).toContain('https://sanluca.example.it/r/x/8fK2xQ');
        expect(placeholdersIn(defaultTemplate(kind, 'email', locale).body)).not.toContain('CONFIRM_URL');
      }
    });

    it(`B2-confirm: ${kind} voice says press 1 to confirm, 2 to cancel`, () => {
      expect(defaultTemplate(kind, 'voice', 'it', { requestConfirmation: true }).body).toMatch(/Per confermare prema 1\. Per disdire prema 2\./);
      expect(defaultTemplate(kind, 'voice', 'en', { requestConfirmation: true }).body).toMatch(/To confirm, press 1\. To cancel, press 2\./);
      expect(defaultTemplate(kind, 'voice', 'it').body).not.toMatch(/prema/);
    });
  }
});

describe('B4: alerts', () => {
  it('B4: a delay alert tells the new time (from the recomputed start) and the minutes of delay', () => {
    const ctx = typicalContext();
    // 09:30 + 30 minutes: the activity passes the recomputed start.
    ctx.appointment = { ...ctx.appointment!, startAt: new Date('2030-06-03T08:00:00Z'), endAt: new Date('2030-06-03T08:30:00Z') };
    for (const locale of LOCALES) {
      for (const channel of ['email', 'sms'] as const) {
        const { body } = render({ kind: 'alert.delay', channel, locale, options: {} }, ctx);
        expect(body, `${channel} ${locale}`).toContain('10:00');
        expect(body, `${channel} ${locale}`).toContain('30');
      }
      const spoken = render({ kind: 'alert.delay', channel: 'voice', locale, options: {} }, ctx).body;
      expect(spoken).toContain(locale === 'it' ? 'presentarsi alle ore 10.' : 'arrive at 10 AM.');
      expect(spoken).toContain(locale === 'it' ? '30 minuti' : '30 minutes');
    }
  });

  it('B4: a cancellation alert says the appointment is cancelled and gives the number to rebook', () => {
    for (const c of all.filter((x) => x.kind === 'alert.cancellation')) {
      expect(placeholdersIn(defaultTemplate(c.kind, c.channel, c.locale).body), label(c)).toContain('TRD1');
      expect(render(c, typicalContext()).body, label(c)).toMatch(/annullato|cancelled/);
    }
  });
});

describe('B2-recall: recalls', () => {
  it('B2-recall: the set-up link is included when present and leaves no trace when absent', () => {
    for (const locale of LOCALES) {
      for (const channel of ['email', 'sms'] as const) {
        const c = { kind: 'recall' as const, channel, locale, options: {} };
        expect(render(c, typicalContext()).body).toContain('https://sanluca.example.it/s/Z3k9Pq');
        const ctx = typicalContext();
        ctx.extra.setupUrl = null;
        const body = render(c, ctx).body;
        expect(body).not.toMatch(/account/i);
        expectClean(body, `${channel} ${locale}`);
      }
    }
  });
});

describe('B3: after the visit', () => {
  it('B3: the thank-you has no survey; the survey variant links it (not in voice)', () => {
    for (const locale of LOCALES) {
      for (const channel of ['email', 'sms'] as const) {
        expect(placeholdersIn(defaultTemplate('appointment.post_visit', channel, locale).body)).not.toContain('SURVEY_URL');
        expect(render({ kind: 'appointment.post_visit', channel, locale, options: { survey: true } }, typicalContext()).body).toContain(
          'https://sanluca.example.it/q/8fK2xQ',
        );
      }
    }
  });
});

describe('B6: notices to the center', () => {
  it('B6: the notice email has a subject and the notice text', () => {
    const out = render({ kind: 'center.notice', channel: 'email', locale: 'it', options: {} }, typicalContext());
    expect(out.subject).toBe('Avviso dal sistema di comunicazione: Centro Medico San Luca');
    expect(out.body.split('\n')[0]).toBe('Crediti quasi esauriti: restano 40 crediti.');
  });
});

describe('B7: the password message', () => {
  it('B7: gives the password and/or the set-up link, and the stored (redacted) copy holds neither', () => {
    for (const c of all.filter((x) => x.kind === 'password')) {
      const sent = render(c, typicalContext()).body;
      const stored = render(c, typicalContext(), true).body;
      expect(sent, label(c)).toMatch(c.channel === 'voice' ? /k 7 Q x 9 p/ : /k7Qx9p/);
      expect(stored, label(c)).toContain(REDACTED);
      expect(stored, label(c)).not.toMatch(/k7Qx9p|k 7 Q x 9 p|Z3k9Pq/);
      if (c.channel !== 'voice') expect(sent, label(c)).toContain('https://sanluca.example.it/s/Z3k9Pq');
    }
  });

  it('B7: with only a set-up link, the password line disappears', () => {
    const ctx = typicalContext();
    ctx.extra.password = null;
    const { body } = render({ kind: 'password', channel: 'email', locale: 'it', options: {} }, ctx);
    expect(body).not.toMatch(/Password/);
    expect(body).toContain('Link di accesso: https://sanluca.example.it/s/Z3k9Pq');
  });
});
