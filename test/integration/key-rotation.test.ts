import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhooks } from '../../src/api/webhooks/index.js';
import { MessageSecret } from '../../src/db/entities/index.js';
import { createSecretStash } from '../../src/db/secret-stash.js';
import type { SecretKey } from '../../src/keyring.js';
import { createLinks } from '../../src/links.js';
import { freshDatabase } from '../support/db.js';
import { addMessage, mountWebhooks, recordingEngine, recordingRelay, seedClinic, type RecordingEngine } from '../support/webhooks.js';

const PUBLIC_BASE_URL = 'https://comms.example.test';
const k1: SecretKey = { id: 'k1', secret: 'first-link-key-0123456789abcdef0123456789' };
const k2: SecretKey = { id: 'k2', secret: 'second-link-key-0123456789abcdef012345678' };
const m1: SecretKey = { id: 'm1', secret: 'first-message-key-0123456789abcdef01234567' };
const m2: SecretKey = { id: 'm2', secret: 'second-message-key-0123456789abcdef0123456' };

let db: Awaited<ReturnType<typeof freshDatabase>>;
let engine: RecordingEngine;
beforeAll(async () => {
  db = await freshDatabase();
  engine = recordingEngine();
});
afterAll(() => db?.close());

/** The API's public links as an API process with this key ring serves them. */
const linkApp = (keys: string | readonly SecretKey[]) =>
  mountWebhooks(
    createWebhooks({ orm: db.orm, links: createLinks({ publicBaseUrl: PUBLIC_BASE_URL, secret: keys }), publicBaseUrl: PUBLIC_BASE_URL, twilioAuthToken: 'unused-token-0123456789' }),
    recordingRelay(db.orm, engine),
  );
const post = (app: ReturnType<typeof linkApp>, url: string) => app.request(url.slice(PUBLIC_BASE_URL.length), { method: 'POST' });

describe('Security: link-signing keys rotate without breaking links already sent', () => {
  it('Security: a confirm link signed with the old key still confirms after rotation; new links carry the new key id; a dropped key no longer verifies', async () => {
    const clinic = await seedClinic(db.orm, { startAt: new Date(Date.now() + 3 * 24 * 3600_000) });
    const message = await addMessage(db.orm, clinic, { channel: 'email', asksConfirmation: true });
    const sentBefore = createLinks({ publicBaseUrl: PUBLIC_BASE_URL, secret: [k1] }).confirmUrl(message.id);
    expect(sentBefore).toMatch(new RegExp(`/l/confirm/${message.id}\\.k1\\.[A-Za-z0-9_-]{32}$`));

    const rotated = createLinks({ publicBaseUrl: PUBLIC_BASE_URL, secret: [k2, k1] });
    expect(rotated.confirmUrl(message.id)).toMatch(/\.k2\.[A-Za-z0-9_-]{32}$/);

    // k1 dropped: the old link is refused (an invalid-link page, nothing reaches the appointment).
    const refused = await post(linkApp([k2]), sentBefore);
    expect(refused.status).toBe(404);
    expect(engine.answers.filter((a) => a.appointmentId === clinic.appointment.id)).toEqual([]);

    // k1 still in the ring: the patient's old link confirms.
    const response = await post(linkApp([k2, k1]), sentBefore);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('confermato');
    expect(engine.answers.filter((a) => a.appointmentId === clinic.appointment.id)).toMatchObject([{ answer: 'confirm', via: 'link' }]);
  });

  it('Security: a link issued before key ids (a bare HMAC of LINK_SIGNING_SECRET) still works once that secret is key 0 of a ring', async () => {
    const legacySecret = 'legacy-single-secret-0123456789abcdef012345';
    const clinic = await seedClinic(db.orm, { startAt: new Date(Date.now() + 3 * 24 * 3600_000) });
    const message = await addMessage(db.orm, clinic, { channel: 'email', asksConfirmation: true });
    // Exactly how links were signed before this change.
    const bare = createHmac('sha256', legacySecret).update(`cancel:${message.id}`).digest('base64url').slice(0, 32);
    const oldLink = `${PUBLIC_BASE_URL}/l/cancel/${message.id}.${bare}`;

    const response = await post(linkApp([k2, { id: '0', secret: legacySecret }]), oldLink);
    expect(response.status).toBe(200);
    expect(engine.answers.filter((a) => a.appointmentId === clinic.appointment.id)).toMatchObject([{ answer: 'cancel', via: 'link' }]);
  });
});

describe('B7 Security: message-secret keys rotate without losing pending passwords', () => {
  it('B7 Security: a password stashed under the old key is still read after rotation; new ones use the new key; a dropped key reads nothing', async () => {
    const clinic = await seedClinic(db.orm);
    const expiresAt = new Date(Date.now() + 3600_000);
    const before = createSecretStash({ orm: db.orm, key: [m1] });
    const pending = await before.put({ centerId: clinic.center.id, secret: { password: 'Pending-Pass-7' }, expiresAt });

    const rotated = createSecretStash({ orm: db.orm, key: [m2, m1] });
    expect(await rotated.peek(db.orm.em.fork(), clinic.center.id, pending)).toEqual({ password: 'Pending-Pass-7' });
    const fresh = await rotated.put({ centerId: clinic.center.id, secret: { setupUrl: 'https://booking.example/setup/abc' }, expiresAt });
    const rows = await db.orm.em.fork().find(MessageSecret, { id: [pending, fresh] });
    expect(rows.find((r) => r.id === pending)?.ciphertext).toMatch(/^m1:/);
    expect(rows.find((r) => r.id === fresh)?.ciphertext).toMatch(/^m2:/);
    for (const row of rows) expect(row.ciphertext).not.toMatch(/Pending-Pass|booking\.example/);

    const dropped = createSecretStash({ orm: db.orm, key: [m2] });
    expect(await dropped.peek(db.orm.em.fork(), clinic.center.id, pending)).toBeNull();
    expect(await dropped.peek(db.orm.em.fork(), clinic.center.id, fresh)).toEqual({ setupUrl: 'https://booking.example/setup/abc' });
  });

  it('B7 Security: a secret sealed before key ids (no key id prefix, key from LINK_SIGNING_SECRET) opens with that secret as key 0', async () => {
    const legacySecret = 'legacy-single-secret-0123456789abcdef012345';
    const clinic = await seedClinic(db.orm);
    const id = await createSecretStash({ orm: db.orm, key: legacySecret }).put({
      centerId: clinic.center.id,
      secret: { password: 'Legacy-Pass-3' },
      expiresAt: new Date(Date.now() + 3600_000),
    });
    // Rewrite the row to the format of before (bare base64 of iv | tag | body).
    const em = db.orm.em.fork();
    const row = await em.findOneOrFail(MessageSecret, { id });
    expect(row.ciphertext).toMatch(/^0:/);
    row.ciphertext = row.ciphertext.slice(2);
    await em.flush();

    const rotated = createSecretStash({ orm: db.orm, key: [m2, { id: '0', secret: legacySecret }] });
    expect(await rotated.peek(db.orm.em.fork(), clinic.center.id, id)).toEqual({ password: 'Legacy-Pass-3' });
  });
});
