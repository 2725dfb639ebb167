import { describe, expect, it } from 'vitest';
import { staleness } from '../../src/domain/freshness.js';

describe('staleness: an activity must not act on rows older than its signal (#8)', () => {
  it('fresh when the rows are as new as what the workflow was told, or newer', () => {
    expect(staleness({ revision: 3, settingsVersion: 5 }, { minRevision: 3, minSettingsVersion: 5 })).toBeNull();
    expect(staleness({ revision: 4, settingsVersion: 6 }, { minRevision: 3, minSettingsVersion: 5 })).toBeNull();
    expect(staleness({ revision: 1, settingsVersion: 0 }, {})).toBeNull();
  });

  it('stale settings or an older appointment revision are named', () => {
    expect(staleness({ revision: 3, settingsVersion: 4 }, { minSettingsVersion: 5 })).toBe('center settings at version 4, the workflow was told 5');
    expect(staleness({ revision: 2, settingsVersion: 5 }, { minRevision: 3, minSettingsVersion: 5 })).toBe('appointment at revision 2, the workflow was told 3');
  });

  it('a message without an appointment (recall, password) is judged by the settings only', () => {
    expect(staleness({ revision: null, settingsVersion: 5 }, { minRevision: 3 })).toBeNull();
  });
});
