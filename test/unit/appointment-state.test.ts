import { describe, expect, it } from 'vitest';
import type { AppointmentPolicy, CenterPolicy } from '../../src/activities/types.js';
import { parseEventOptions } from '../../src/domain/policy.js';
import { AppointmentState } from '../../src/workflows/appointment-state.js';

const snapshot = {
  centerId: 'c1',
  appointmentId: 'a1',
  revision: 1,
  patientId: 'p1',
  resourceId: null,
  serviceId: null,
  locationId: null,
  startAt: '2026-12-10T09:00:00Z',
  endAt: '2026-12-10T09:30:00Z',
  bookedAt: '2026-12-01T09:00:00Z',
  bookedOnline: false,
};

function centerPolicy(leadMinutes: number): CenterPolicy {
  return {
    timeZone: 'Europe/Rome',
    reminder: { ...parseEventOptions('appointment.reminder', { leadMinutes }), channels: ['email'] },
    secondReminder: { ...parseEventOptions('appointment.second_reminder', {}), channels: [] },
    postVisit: { delayMinutes: 60, channels: [] },
    resourceReminder: { leadMinutes: 60, channels: [] },
  };
}

/** A state that planned with the policy read at `settingsVersion` (undefined: a read recorded before versions). */
function plannedAt(settingsVersion: number | undefined, leadMinutes = 1440): AppointmentState {
  const st = new AppointmentState(snapshot);
  const read: AppointmentPolicy = { ...centerPolicy(leadMinutes), appointmentStatus: 'booked', unreliable: true };
  st.policy = settingsVersion === undefined ? read : { ...read, settingsVersion };
  return st;
}

const allowed = () => true;

describe('AppointmentState.onPolicyChanged: a settings change with the center policy in the signal (#8)', () => {
  it('X3: re-plans with the new center settings and keeps the appointment part of the last read: no read needed', () => {
    const st = plannedAt(3);
    st.onPolicyChanged({ settingsVersion: 4, policy: centerPolicy(120) }, allowed);
    expect(st.policy?.reminder.leadMinutes).toBe(120);
    expect(st.policy).toMatchObject({ settingsVersion: 4, unreliable: true, appointmentStatus: 'booked' });
    expect(st.wake).toBe(true);
    expect(st.changed).toBe(true);
    // Later reads must be at least as new as the signal.
    expect(st.known().minSettingsVersion).toBe(4);
  });

  it('X3: a late signal of an earlier change does not bring its older settings back', () => {
    const st = plannedAt(5, 180);
    st.onPolicyChanged({ settingsVersion: 4, policy: centerPolicy(120) }, allowed);
    expect(st.policy?.reminder.leadMinutes).toBe(180);
    expect(st.policy?.settingsVersion).toBe(5);
    expect(st.known().minSettingsVersion).toBe(4);
  });

  it('a last read without a version (recorded before versions existed) is read again in full', () => {
    const st = plannedAt(undefined);
    st.onPolicyChanged({ settingsVersion: 4, policy: centerPolicy(120) }, allowed);
    expect(st.policy).toBeNull();
  });

  it('a run without the patch (an older history replaying) reads the policy as it did', () => {
    const st = plannedAt(3);
    st.onPolicyChanged({ settingsVersion: 4, policy: centerPolicy(120) }, () => false);
    expect(st.policy).toBeNull();
  });

  it('a signal without a policy (sent before the fan-out carried one) or before any read: read it again', () => {
    const versionOnly = plannedAt(3);
    versionOnly.onPolicyChanged({ settingsVersion: 4 }, allowed);
    expect(versionOnly.policy).toBeNull();
    const neverRead = new AppointmentState(snapshot);
    neverRead.onPolicyChanged({ settingsVersion: 4, policy: centerPolicy(120) }, allowed);
    expect(neverRead.policy).toBeNull();
    expect(neverRead.known().minSettingsVersion).toBe(4);
  });
});
