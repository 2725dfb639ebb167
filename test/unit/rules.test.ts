import { describe, expect, it } from 'vitest';
import { decideChannels, overDailyCap, type ChannelRulesInput } from '../../src/domain/rules.js';
import { allowedPhoneCountries, destinationAllowed, phoneCountry } from '../../src/domain/destinations.js';

const CONTACTS = { email: 'anna@example.test', mobile: '+393331234567', landline: '+390612345678' };

function input(overrides: Partial<ChannelRulesInput> = {}): ChannelRulesInput {
  return {
    recipient: 'patient',
    masterEnabled: true,
    eventChannels: ['email', 'sms', 'voice'],
    bookedOnline: false,
    onlineOnly: false,
    privacyRequired: false,
    privacyConsent: false,
    preference: null,
    resourceMemoEnabled: true,
    serviceMemoEnabled: true,
    contacts: CONTACTS,
    optedOut: [],
    phoneCountries: ['IT'],
    ...overrides,
  };
}

/** channel → 'send' or the skip reason. */
function outcome(overrides: Partial<ChannelRulesInput> = {}) {
  return Object.fromEntries(decideChannels(input(overrides)).map((dec) => [dec.channel, dec.send ? 'send' : dec.reason]));
}

describe('A2: events × channels', () => {
  it('A2: every enabled channel is sent to its address', () => {
    expect(decideChannels(input())).toEqual([
      { channel: 'email', send: true, address: 'anna@example.test' },
      { channel: 'sms', send: true, address: '+393331234567' },
      { channel: 'voice', send: true, address: '+390612345678' },
    ]);
  });

  it('A2: a disabled channel produces no decision at all', () => {
    expect(outcome({ eventChannels: ['sms'] })).toEqual({ sms: 'send' });
    expect(decideChannels(input({ eventChannels: [] }))).toEqual([]);
  });

  it('A2: decisions come once per channel, in the order email, SMS, voice', () => {
    expect(decideChannels(input({ eventChannels: ['voice', 'email', 'voice'] })).map((dec) => dec.channel)).toEqual(['email', 'voice']);
  });

  it('A2: voice calls the landline, else the mobile', () => {
    const [voice] = decideChannels(input({ eventChannels: ['voice'], contacts: { ...CONTACTS, landline: null } }));
    expect(voice).toEqual({ channel: 'voice', send: true, address: '+393331234567' });
  });
});

describe('A1: master switch', () => {
  it('A1: off → nothing to patients, resources or the center', () => {
    expect(outcome({ masterEnabled: false })).toEqual({ email: 'master_off', sms: 'master_off', voice: 'master_off' });
    expect(outcome({ masterEnabled: false, recipient: 'resource' })).toEqual({ email: 'master_off', sms: 'master_off', voice: 'master_off' });
    expect(outcome({ masterEnabled: false, recipient: 'center' })).toEqual({ email: 'master_off' });
  });

  it('A1: master_off wins over every other reason, and keeps the address for the summary', () => {
    const all = input({
      masterEnabled: false,
      resourceMemoEnabled: false,
      serviceMemoEnabled: false,
      onlineOnly: true,
      privacyRequired: true,
      preference: 'none',
      optedOut: ['sms'],
      eventChannels: ['sms'],
    });
    expect(decideChannels(all)).toEqual([{ channel: 'sms', send: false, reason: 'master_off', address: '+393331234567' }]);
  });
});

describe('C1: resource memo', () => {
  it('C1: off → nothing about its appointments, to the patient or to the resource', () => {
    expect(outcome({ resourceMemoEnabled: false })).toEqual({ email: 'resource_memo_off', sms: 'resource_memo_off', voice: 'resource_memo_off' });
    expect(outcome({ recipient: 'resource', resourceMemoEnabled: false, eventChannels: ['email'] })).toEqual({ email: 'resource_memo_off' });
  });

  it('C1: the resource memo is reported before the service memo', () => {
    expect(outcome({ resourceMemoEnabled: false, serviceMemoEnabled: false, eventChannels: ['email'] })).toEqual({ email: 'resource_memo_off' });
  });
});

describe('D1: service memo', () => {
  it('D1: off → nothing for that service', () => {
    expect(outcome({ serviceMemoEnabled: false })).toEqual({ email: 'service_memo_off', sms: 'service_memo_off', voice: 'service_memo_off' });
  });

  it('D1: the service memo is reported before online-only and privacy', () => {
    expect(outcome({ serviceMemoEnabled: false, onlineOnly: true, privacyRequired: true, eventChannels: ['sms'] })).toEqual({ sms: 'service_memo_off' });
  });
});

describe('B1: only to patients who booked online', () => {
  it('B1: a back-office booking gets no notification', () => {
    expect(outcome({ onlineOnly: true, bookedOnline: false })).toEqual({ email: 'online_only', sms: 'online_only', voice: 'online_only' });
  });

  it('B1: an online booking still gets it', () => {
    expect(outcome({ onlineOnly: true, bookedOnline: true, eventChannels: ['email'] })).toEqual({ email: 'send' });
  });

  it('B1: the option concerns patients only', () => {
    expect(outcome({ recipient: 'resource', onlineOnly: true, eventChannels: ['email'] })).toEqual({ email: 'send' });
  });

  it('B1: online-only is reported before privacy', () => {
    expect(outcome({ onlineOnly: true, privacyRequired: true, eventChannels: ['email'] })).toEqual({ email: 'online_only' });
  });
});

describe('C2-privacy: privacy consent', () => {
  it('C2-privacy: required and missing → the patient receives nothing', () => {
    expect(outcome({ privacyRequired: true, privacyConsent: false })).toEqual({ email: 'privacy', sms: 'privacy', voice: 'privacy' });
  });

  it('C2-privacy: consent given, or not required → sent', () => {
    expect(outcome({ privacyRequired: true, privacyConsent: true, eventChannels: ['email'] })).toEqual({ email: 'send' });
    expect(outcome({ privacyRequired: false, privacyConsent: false, eventChannels: ['email'] })).toEqual({ email: 'send' });
  });

  it('C2-privacy: concerns patients only, not resources', () => {
    expect(outcome({ recipient: 'resource', privacyRequired: true, eventChannels: ['email'] })).toEqual({ email: 'send' });
  });

  it('C2-privacy: privacy is reported before the preference', () => {
    expect(outcome({ privacyRequired: true, preference: 'none', eventChannels: ['email'] })).toEqual({ email: 'privacy' });
  });
});

describe('C2-pref: patient channel preference', () => {
  it('C2-pref: the chosen channel only', () => {
    expect(outcome({ preference: 'sms' })).toEqual({ email: 'preference', sms: 'send', voice: 'preference' });
  });

  it('C2-pref: "none" → nothing at all', () => {
    expect(outcome({ preference: 'none' })).toEqual({ email: 'preference', sms: 'preference', voice: 'preference' });
  });

  it('C2-pref: never adds a channel the event disabled', () => {
    expect(outcome({ preference: 'voice', eventChannels: ['email', 'sms'] })).toEqual({ email: 'preference', sms: 'preference' });
  });

  it('C2-pref: the preference is reported before a missing contact', () => {
    expect(outcome({ preference: 'sms', contacts: { email: null, mobile: null, landline: null } })).toEqual({
      email: 'preference',
      sms: 'no_contact',
      voice: 'preference',
    });
  });
});

describe('E1: no contact', () => {
  it('E1: a channel without its address is skipped for no contact', () => {
    expect(decideChannels(input({ eventChannels: ['email'], contacts: { ...CONTACTS, email: null } }))).toEqual([
      { channel: 'email', send: false, reason: 'no_contact', address: null },
    ]);
  });

  it('E1: a blank address counts as missing; voice needs a landline or a mobile', () => {
    expect(outcome({ contacts: { email: '   ', mobile: '', landline: null } })).toEqual({ email: 'no_contact', sms: 'no_contact', voice: 'no_contact' });
  });

  it('E1: the address is trimmed', () => {
    const [email] = decideChannels(input({ eventChannels: ['email'], contacts: { ...CONTACTS, email: '  anna@example.test ' } }));
    expect(email).toEqual({ channel: 'email', send: true, address: 'anna@example.test' });
  });
});

describe('X1: opt-out', () => {
  it('X1: an opted-out channel is skipped, the others still go', () => {
    expect(decideChannels(input({ optedOut: ['sms'] })).map((dec) => (dec.send ? 'send' : `${dec.reason}:${dec.address}`))).toEqual([
      'send',
      'opted_out:+393331234567',
      'send',
    ]);
  });

  it('X1: a missing contact is reported before an opt-out', () => {
    expect(outcome({ optedOut: ['email'], contacts: { ...CONTACTS, email: null }, eventChannels: ['email'] })).toEqual({ email: 'no_contact' });
  });

  it('X1: resources can opt out too', () => {
    expect(outcome({ recipient: 'resource', optedOut: ['email'], eventChannels: ['email'] })).toEqual({ email: 'opted_out' });
  });
});

describe('B6: messages to the center', () => {
  it('B6: the center is written to by email only', () => {
    expect(outcome({ recipient: 'center' })).toEqual({ email: 'send' });
  });

  it('B6: only the master switch and a missing address stop it', () => {
    const ignored = { privacyRequired: true, preference: 'none' as const, resourceMemoEnabled: false, serviceMemoEnabled: false, onlineOnly: true, optedOut: ['email' as const] };
    expect(outcome({ recipient: 'center', ...ignored })).toEqual({ email: 'send' });
    expect(outcome({ recipient: 'center', ...ignored, contacts: { ...CONTACTS, email: null } })).toEqual({ email: 'no_contact' });
    expect(outcome({ recipient: 'center', ...ignored, masterEnabled: false })).toEqual({ email: 'master_off' });
  });
});

describe('destination countries of SMS and voice (issue 9: SMS pumping)', () => {
  it('a number outside the allowed countries is skipped on SMS and voice; email is not concerned', () => {
    const abroad = { email: 'anna@example.test', mobile: '+18765551234', landline: '+18765550000' };
    expect(outcome({ contacts: abroad })).toEqual({ email: 'send', sms: 'destination_country', voice: 'destination_country' });
    expect(outcome({ contacts: abroad, phoneCountries: ['IT', 'JM'] })).toEqual({ email: 'send', sms: 'send', voice: 'send' });
  });

  it('the +1 countries are told apart: the US allowed does not allow Jamaica, nor Canada', () => {
    expect(phoneCountry('+12125551234')).toBe('US');
    expect(phoneCountry('+14165551234')).toBe('CA');
    expect(phoneCountry('+18765551234')).toBe('JM');
    expect(destinationAllowed('+12125551234', ['US'])).toBe(true);
    expect(destinationAllowed('+18765551234', ['US'])).toBe(false);
    expect(destinationAllowed('+14165551234', ['US'])).toBe(false);
  });

  it('Italian mobiles and landlines are IT; a number of no known country is never allowed', () => {
    expect(phoneCountry('+393331234567')).toBe('IT');
    expect(phoneCountry('+390612345678')).toBe('IT');
    expect(phoneCountry('+882123456')).toBeNull();
    expect(phoneCountry('+3900')).toBeNull();
    expect(destinationAllowed('+882123456', ['IT'])).toBe(false);
  });

  it('without a platform list, the center’s own country', () => {
    expect(allowedPhoneCountries({ country: 'IT', phoneCountries: null })).toEqual(['IT']);
    expect(allowedPhoneCountries({ country: 'IT', phoneCountries: ['IT', 'SM'] })).toEqual(['IT', 'SM']);
  });

  it('a skip for master off or opt-out keeps its own reason (first reason that applies)', () => {
    const abroad = { email: null, mobile: '+18765551234', landline: null };
    expect(outcome({ contacts: abroad, masterEnabled: false, eventChannels: ['sms'] })).toEqual({ sms: 'master_off' });
  });
});

describe('daily cap of SMS + voice (issue 9)', () => {
  it('counts phone channels only, and stops at the cap', () => {
    expect(overDailyCap('sms', 1999, 2000)).toBe(false);
    expect(overDailyCap('sms', 2000, 2000)).toBe(true);
    expect(overDailyCap('voice', 5, 5)).toBe(true);
    expect(overDailyCap('email', 10_000, 5)).toBe(false);
    expect(overDailyCap('sms', 0, 0)).toBe(true);
  });
});
