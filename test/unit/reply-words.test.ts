import { describe, expect, it } from 'vitest';
import { REPLY_WORDS, normalizeReply, parseSmsReply, type SmsReply } from '../../src/domain/reply-words.js';

function expectAll(replies: string[], meaning: SmsReply | null) {
  for (const reply of replies) expect(parseSmsReply(reply), JSON.stringify(reply)).toBe(meaning);
}

describe('B2-confirm: confirming by SMS reply', () => {
  it('B2-confirm: Italian', () => {
    expectAll(['SI', 'Sì', 'si', 'SÌ', ' sì! ', 'Confermo', 'conferma.', 'CONFERMATO', 'OK', 'ok', 'Va bene', '1'], 'confirm');
  });

  it('B2-confirm: English', () => {
    expectAll(['YES', 'Yes', 'y', 'Y.', 'Confirm', 'confirmed', 'C', 'Okay'], 'confirm');
  });

  it('B2-confirm: Spanish', () => {
    expectAll(['Sí', 'SÍ', 'CONFIRMAR', 'confirmo', 'Confirmado', 'Vale'], 'confirm');
  });

  it('B2-confirm: a polite word after the answer is fine', () => {
    expectAll(['Sì, grazie!', 'Confermo grazie mille', 'yes please', 'OK thanks', 'Confirmo, gracias', 'Si por favor'], 'confirm');
  });
});

describe('B2-confirm: cancelling by SMS reply', () => {
  it('B2-confirm: Italian', () => {
    expectAll(['NO', 'no', 'No.', 'Annulla', 'ANNULLO', 'disdico', 'Disdetta', 'cancella', '2'], 'cancel');
  });

  it('B2-confirm: English (CANCEL APPOINTMENT, not CANCEL alone)', () => {
    expectAll(['Cancel appointment', 'CANCEL MY APPOINTMENT', 'cancel booking'], 'cancel');
  });

  it('B2-confirm: Spanish', () => {
    expectAll(['Anular', 'ANULAR CITA', 'cancelar', 'Cancelar cita', 'cancelo'], 'cancel');
  });

  it('B2-confirm: a polite word after the answer is fine', () => {
    expectAll(['No grazie', 'Annullo, grazie.', 'Cancelar cita por favor'], 'cancel');
  });
});

describe('X1: opt-out and opt-in by SMS reply', () => {
  it('X1: STOP words in the three languages', () => {
    expectAll(['STOP', 'stop', 'Stop!', 'STOPALL', 'stop all', 'Unsubscribe', 'END', 'quit', 'REVOKE', 'OPTOUT', 'opt-out'], 'stop');
    expectAll(['Basta', 'DISISCRIVI', 'disiscrivimi', 'Cancellami'], 'stop');
    expectAll(['Baja', 'DAR DE BAJA', 'parar'], 'stop');
  });

  it('X1: CANCEL alone is an opt-out (carrier keyword), never an appointment cancellation', () => {
    expectAll(['CANCEL', 'cancel', 'Cancel.', ' cancel '], 'stop');
  });

  it('X1: START words resume SMS', () => {
    expectAll(['START', 'start', 'Unstop', 'Iscrivi', 'iscrivimi', 'ALTA', 'dar de alta'], 'start');
  });
});

describe('B2-confirm: anything else is not guessed at', () => {
  it('B2-confirm: free text and empty replies are null', () => {
    expectAll(['', '   ', '?!', 'maybe', 'Si ma arrivo tardi', 'Non posso venire domani', 'cancel my subscription', 'Chi è?', '12', 'grazie'], null);
  });

  it('B2-confirm: the word lists do not overlap, and each listed word parses to its own meaning', () => {
    const seen = new Map<string, string>();
    for (const [meaning, words] of Object.entries(REPLY_WORDS)) {
      for (const word of words) {
        expect(seen.get(word), word).toBeUndefined();
        seen.set(word, meaning);
        expect(normalizeReply(word), word).toBe(word);
        expect(parseSmsReply(word), word).toBe(meaning);
        expect(parseSmsReply(word.toLowerCase()), word).toBe(meaning);
      }
    }
  });

  it('B2-confirm: normalisation drops case, accents and punctuation', () => {
    expect(normalizeReply('  Sì,   confermo!! ')).toBe('SI CONFERMO');
    expect(normalizeReply('Añular—cita')).toBe('ANULAR CITA');
  });
});
