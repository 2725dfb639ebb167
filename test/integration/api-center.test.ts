import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, expectProblem, PLATFORM_KEY, type ApiHarness } from '../support/api.js';

describe('API center settings and event settings', () => {
  let h: ApiHarness;
  let center: Awaited<ReturnType<ApiHarness['newCenter']>>;
  beforeAll(async () => {
    h = await apiHarness();
    center = await h.newCenter('Centro Medico San Luca');
    const approved = await h.call('PUT', `/v1/centers/${center.id}/approved-senders`, {
      key: PLATFORM_KEY,
      body: { emailAddresses: [], emailDomains: ['sanluca.example'], smsSenderIds: ['SanLuca', '+393331234567'], voiceNumbers: ['+390612345678'] },
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
  });
  afterAll(() => h?.close());

  it('A1 A3 A4-read B6 C2-privacy F1 X4: an admin reads and changes the center settings (prices are read-only here)', async () => {
    const res = await h.call('PATCH', '/v1/center', {
      key: center.adminKey,
      body: {
        phone: '+390612345678',
        website: 'https://www.sanluca.example',
        senders: { emailFromName: 'San Luca', emailFromAddress: 'noreply@sanluca.example', emailReplyTo: 'info@sanluca.example', smsSenderId: 'SanLuca', voiceCallerNumber: '+390612345678' },
        privacyRequired: true,
        readTracking: true,
        adminEmails: ['admin@sanluca.example'],
        lowCreditThreshold: 20,
        callback: { url: 'https://booking.example/hooks', secret: 'a-long-enough-secret-123' },
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      phone: '+390612345678',
      senders: { smsSenderId: 'SanLuca', emailReplyTo: 'info@sanluca.example' },
      privacyRequired: true,
      readTracking: true,
      adminEmails: ['admin@sanluca.example'],
      prices: { email: 0, smsSegment: 1, voice: 2 },
      lowCreditThreshold: 20,
      callback: { url: 'https://booking.example/hooks', secretSet: true },
    });
    expect(JSON.stringify(res.body)).not.toContain('a-long-enough-secret-123');
    const read = await h.call('GET', '/v1/center', { key: center.adminKey });
    expect(read.body).toEqual(res.body);
  });

  it('A1 X3: switching communications off re-plans scheduled work (engine.policyChanged); a cosmetic change does not', async () => {
    h.engine.calls = [];
    const off = await h.call('PATCH', '/v1/center', { key: center.adminKey, body: { communicationsEnabled: false } });
    expect(off.body.communicationsEnabled).toBe(false);
    const [[centerId, version]] = h.engine.callsOf('policyChanged') as [[string, number]];
    expect(centerId).toBe(center.id);
    await h.call('PATCH', '/v1/center', { key: center.adminKey, body: { website: null } });
    expect(h.engine.callsOf('policyChanged')).toHaveLength(1);
    await h.call('PATCH', '/v1/center', { key: center.adminKey, body: { communicationsEnabled: true, timeZone: 'Europe/London' } });
    // Each re-plan carries a newer settings version, so no workflow can act on the older one.
    expect(h.engine.callsOf('policyChanged')).toEqual([[center.id, version], [center.id, version + 1]]);
  });

  it('A3: SMS sender ids must be alphanumeric ≤ 11 with a letter, or E.164; emails valid; time zones IANA — 400 naming the field, nothing changed', async () => {
    const before = await h.fingerprint();
    const cases: [unknown, string][] = [
      [{ senders: { smsSenderId: 'TwelveChars1' } }, 'senders.smsSenderId'],
      [{ senders: { smsSenderId: '12345' } }, 'senders.smsSenderId'],
      [{ senders: { smsSenderId: 'San Luca' } }, 'senders.smsSenderId'],
      [{ senders: { emailFromAddress: 'not-an-email' } }, 'senders.emailFromAddress'],
      [{ senders: { voiceCallerNumber: '0612345678' } }, 'senders.voiceCallerNumber'],
      [{ timeZone: 'Europe/Atlantis' }, 'timeZone'],
      [{ adminEmails: ['ok@example.com', 'nope'] }, 'adminEmails.1'],
      [{ communicationsEnabled: 'yes' }, 'communicationsEnabled'],
      [{ masterSwitch: true }, 'masterSwitch'],
      [{ senders: { fax: '+39061234567' } }, 'senders.fax'],
    ];
    for (const [body, field] of cases) expectProblem(await h.call('PATCH', '/v1/center', { key: center.adminKey, body }), 400, field);
    expect(await h.fingerprint()).toBe(before);
    const ok = await h.call('PATCH', '/v1/center', { key: center.adminKey, body: { senders: { smsSenderId: '+393331234567' } } });
    expect(ok.body.senders.smsSenderId).toBe('+393331234567');
  });

  it('A3: a sender the platform has not approved for the center is refused with 422 naming the field; nothing changes', async () => {
    const other = await h.newCenter('Centro Altrove');
    const before = await h.fingerprint();
    const cases: [unknown, string][] = [
      // Another center's approved sender, number and domain are not this center's.
      [{ senders: { smsSenderId: 'SanLuca' } }, 'senders.smsSenderId'],
      [{ senders: { voiceCallerNumber: '+390612345678' } }, 'senders.voiceCallerNumber'],
      [{ senders: { emailFromAddress: 'noreply@sanluca.example' } }, 'senders.emailFromAddress'],
      [{ name: 'Renamed', senders: { emailFromName: 'Altrove', smsSenderId: 'Altrove' } }, 'senders.smsSenderId'],
    ];
    for (const [body, field] of cases) expectProblem(await h.call('PATCH', '/v1/center', { key: other.adminKey, body }), 422, field);
    expect(await h.fingerprint()).toBe(before);

    // The platform approves a domain and a sender id: then they can be used, and only by this center.
    expectProblem(await h.call('PUT', `/v1/centers/${other.id}/approved-senders`, { key: other.adminKey, body: { emailAddresses: [], emailDomains: [], smsSenderIds: ['Altrove'], voiceNumbers: [] } }), 403);
    const approve = await h.call('PUT', `/v1/centers/${other.id}/approved-senders`, {
      key: PLATFORM_KEY,
      body: { emailAddresses: [], emailDomains: ['altrove.example'], smsSenderIds: ['Altrove'], voiceNumbers: [] },
    });
    expect(approve.body).toMatchObject({ smsSenderIds: ['Altrove'], cleared: [] });
    const ok = await h.call('PATCH', '/v1/center', { key: other.adminKey, body: { senders: { emailFromAddress: 'info@Altrove.example', smsSenderId: 'Altrove' } } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.senders).toMatchObject({ emailFromAddress: 'info@Altrove.example', smsSenderId: 'Altrove' });

    // Withdrawing an approval unsets the sender in use: the platform default applies again.
    const withdraw = await h.call('PUT', `/v1/centers/${other.id}/approved-senders`, {
      key: PLATFORM_KEY,
      body: { emailAddresses: [], emailDomains: ['altrove.example'], smsSenderIds: [], voiceNumbers: [] },
    });
    expect(withdraw.body.cleared).toEqual(['smsSenderId']);
    expect((await h.call('GET', '/v1/center', { key: other.adminKey })).body.senders).toMatchObject({ emailFromAddress: 'info@Altrove.example', smsSenderId: null });
    expect((await h.call('GET', `/v1/centers/${other.id}/approved-senders`, { key: PLATFORM_KEY })).body).toEqual({
      emailAddresses: [],
      emailDomains: ['altrove.example'],
      smsSenderIds: [],
      voiceNumbers: [],
    });
  });

  it('X4: a callback URL without a secret is refused (422 naming callback.secret)', async () => {
    const other = await h.newCenter('Senza segreto');
    const before = await h.fingerprint();
    expectProblem(await h.call('PATCH', '/v1/center', { key: other.adminKey, body: { callback: { url: 'https://booking.example/x' } } }), 422, 'callback.secret');
    expect(await h.fingerprint()).toBe(before);
  });

  it('center settings need an admin key: booking → 403, none → 401, nothing changed', async () => {
    const before = await h.fingerprint();
    expectProblem(await h.call('PATCH', '/v1/center', { key: center.bookingKey, body: { name: 'X' } }), 403);
    expectProblem(await h.call('PATCH', '/v1/center', { body: { name: 'X' } }), 401);
    expectProblem(await h.call('PATCH', '/v1/center', { key: PLATFORM_KEY, body: { name: 'X' } }), 403);
    expect(await h.fingerprint()).toBe(before);
  });

  it('each center sees only itself', async () => {
    const other = await h.newCenter('Altro Centro');
    expect((await h.call('GET', '/v1/center', { key: other.adminKey })).body.name).toBe('Altro Centro');
    expect((await h.call('GET', '/v1/center', { key: center.adminKey })).body.name).toBe('Centro Medico San Luca');
  });

  it('A2: every event kind is listed with its default channels and options until changed', async () => {
    const res = await h.call('GET', '/v1/event-settings', { key: center.adminKey });
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(13);
    const reminder = res.body.data.find((s: { eventKind: string }) => s.eventKind === 'appointment.reminder');
    expect(reminder).toMatchObject({ channels: ['email', 'sms'], custom: false, options: { leadMinutes: 1440, requestConfirmation: false } });
  });

  it('A2 B2-rem X3: PUT replaces channels and options (defaults filled), and re-plans scheduled messages', async () => {
    h.engine.calls = [];
    const res = await h.call('PUT', '/v1/event-settings/appointment.reminder', {
      key: center.adminKey,
      body: { channels: ['sms'], options: { leadMinutes: 120, requestConfirmation: true, sendingHours: { '1': [{ from: '08:00', to: '20:00' }] } } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ eventKind: 'appointment.reminder', channels: ['sms'], custom: true, options: { leadMinutes: 120, requestConfirmation: true, onePerDay: false, minimumLeadMinutes: 0 } });
    expect(h.engine.callsOf('policyChanged')).toEqual([[center.id, expect.any(Number)]]);
    const read = await h.call('GET', '/v1/event-settings/appointment.reminder', { key: center.adminKey });
    expect(read.body).toEqual(res.body);
  });

  it('A2: bad event settings → 400 naming the field (options validated per event kind); nothing changed', async () => {
    const before = await h.fingerprint();
    const put = (kind: string, body: unknown) => h.call('PUT', `/v1/event-settings/${kind}`, { key: center.adminKey, body });
    expectProblem(await put('appointment.reminder', { channels: ['sms'], options: { leadMinutes: 5 } }), 400, 'options.leadMinutes');
    expectProblem(await put('appointment.reminder', { channels: ['sms'], options: { colour: 'red' } }), 400, 'options.colour');
    expectProblem(await put('appointment.reminder', { channels: ['fax'] }), 400, 'channels.0');
    expectProblem(await put('appointment.reminder', { channels: ['sms', 'sms'] }), 400, 'channels');
    expectProblem(await put('appointment.reminder', { options: {} }), 400, 'channels');
    expectProblem(await put('appointment.reminder', { channels: ['sms'], extra: 1 }), 400, 'extra');
    expectProblem(await put('appointment.reminder', { channels: 'sms' }), 400, 'channels');
    expectProblem(await put('appointment.nope', { channels: [] }), 400, 'eventKind');
    expectProblem(await h.call('PUT', '/v1/event-settings/recall', { key: center.bookingKey, body: { channels: [] } }), 403);
    expectProblem(await h.call('PUT', '/v1/event-settings/recall', { body: { channels: [] } }), 401);
    expect(await h.fingerprint()).toBe(before);
    expect(h.engine.callsOf('policyChanged')).toHaveLength(1);
  });

  it('A2: settings are per center: another center still has the defaults', async () => {
    const other = await h.newCenter('Defaults');
    const res = await h.call('GET', '/v1/event-settings/appointment.reminder', { key: other.adminKey });
    expect(res.body).toMatchObject({ channels: ['email', 'sms'], custom: false });
  });
});
