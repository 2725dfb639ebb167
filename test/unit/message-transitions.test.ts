import { describe, expect, it } from 'vitest';
import twilio from 'twilio';
import { classifySmtpError, classifyTwilioError } from '../../src/channels/provider-errors.js';
import { MESSAGE_STATUSES } from '../../src/domain/events.js';
import { advanceStatus, sourcesOf, TRANSITIONS } from '../../src/messages/transitions.js';

describe('E1: the transition table of a message (src/messages/transitions.ts)', () => {
  it('every status has a row, and final statuses lead nowhere', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...MESSAGE_STATUSES].sort());
    expect(TRANSITIONS.skipped).toEqual([]);
    expect(TRANSITIONS.failed).toEqual([]);
    expect(TRANSITIONS.read).toEqual([]);
  });

  it('a claim comes from scheduled or unknown only; a release only from sending', () => {
    expect(sourcesOf('sending').sort()).toEqual(['scheduled', 'unknown']);
    expect(sourcesOf('scheduled')).toEqual(['sending']);
    expect(sourcesOf('unknown')).toEqual(['sending']);
  });

  it('nothing that may have gone out is skipped by a provider report, and a sent message is never skipped', () => {
    expect(sourcesOf('skipped').sort()).toEqual(['scheduled', 'unknown']);
    for (const from of ['sent', 'delivered', 'read'] as const) expect(TRANSITIONS[from]).not.toContain('skipped');
  });

  it.each([
    ['unknown', 'delivered', 'delivered'],
    ['unknown', 'sent', 'sent'],
    ['unknown', 'failed', 'failed'],
    ['unknown', 'sending', null], // a report never claims
    ['sending', 'unknown', null], // nor makes an outcome unknown
    ['sending', 'scheduled', null],
  ] as const)('E1: a report %s + %s → %s', (current, next, expected) => {
    expect(advanceStatus(current, next)).toBe(expected);
  });
});

describe('issue 10: a provider error says whether the message may have gone out', () => {
  it('SMTP: a reply code, a refused connection or a failure before DATA → not sent; a connection lost after → unknown', () => {
    expect(classifySmtpError(Object.assign(new Error('451 try later'), { responseCode: 451, command: 'RCPT TO' })).outcome).toBe('not_sent');
    expect(classifySmtpError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ESOCKET', command: 'CONN' })).outcome).toBe('not_sent');
    expect(classifySmtpError(Object.assign(new Error('Connection closed'), { code: 'ECONNECTION', command: 'MAIL FROM' })).outcome).toBe('not_sent');
    expect(classifySmtpError(Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION', command: 'CONN' })).outcome).toBe('unknown');
    expect(classifySmtpError(Object.assign(new Error('Timeout'), { code: 'ETIMEDOUT' })).outcome).toBe('unknown');
  });

  it('Twilio: an error answer (5xx included: nothing made) or a refused connection → not sent; no answer → unknown', () => {
    expect(classifyTwilioError(new twilio.RestException({ statusCode: 500, body: { code: 20500, message: 'x' } })).outcome).toBe('not_sent');
    expect(classifyTwilioError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).outcome).toBe('not_sent');
    expect(classifyTwilioError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).outcome).toBe('unknown');
    expect(classifyTwilioError(Object.assign(new Error('timeout of 10000ms exceeded'), { code: 'ECONNABORTED' })).outcome).toBe('unknown');
  });
});
