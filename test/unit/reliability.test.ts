import { describe, expect, it } from 'vitest';
import { isUnreliable } from '../../src/domain/reliability.js';

describe('B2-second: unreliable patients (no-show ≥ 30 %)', () => {
  it('B2-second: a patient without past appointments is reliable', () => {
    expect(isUnreliable({ pastAppointments: 0, noShows: 0 })).toBe(false);
  });

  it('B2-second: exactly 30 % is unreliable, just below is not', () => {
    expect(isUnreliable({ pastAppointments: 10, noShows: 3 })).toBe(true);
    expect(isUnreliable({ pastAppointments: 10, noShows: 2 })).toBe(false);
    expect(isUnreliable({ pastAppointments: 100, noShows: 30 })).toBe(true);
    expect(isUnreliable({ pastAppointments: 100, noShows: 29 })).toBe(false);
    expect(isUnreliable({ pastAppointments: 1000, noShows: 299 })).toBe(false);
  });

  it('B2-second: small histories', () => {
    expect(isUnreliable({ pastAppointments: 1, noShows: 1 })).toBe(true);
    expect(isUnreliable({ pastAppointments: 1, noShows: 0 })).toBe(false);
    expect(isUnreliable({ pastAppointments: 3, noShows: 1 })).toBe(true); // 33 %
    expect(isUnreliable({ pastAppointments: 4, noShows: 1 })).toBe(false); // 25 %
    expect(isUnreliable({ pastAppointments: 7, noShows: 2 })).toBe(false); // 28.6 %
    expect(isUnreliable({ pastAppointments: 7, noShows: 3 })).toBe(true); // 42.9 %
  });

  it('B2-second: impossible counts are refused with the field name', () => {
    expect(() => isUnreliable({ pastAppointments: 2, noShows: 3 })).toThrow(/noShows/);
    expect(() => isUnreliable({ pastAppointments: -1, noShows: 0 })).toThrow(/pastAppointments/);
    expect(() => isUnreliable({ pastAppointments: 2.5, noShows: 0 })).toThrow(/pastAppointments/);
    expect(() => isUnreliable({ pastAppointments: 5, noShows: Number.NaN })).toThrow(/noShows/);
  });
});
