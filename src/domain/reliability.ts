/**
 * B2-second: a patient is unreliable when they did not show up for 30 % or more of their past
 * appointments. No past appointments → reliable (nothing to hold against them).
 */
export const UNRELIABLE_NO_SHOW_PERCENT = 30;

export function isUnreliable(input: { pastAppointments: number; noShows: number }): boolean {
  const { pastAppointments, noShows } = input;
  if (!Number.isInteger(pastAppointments) || pastAppointments < 0) {
    throw new RangeError('pastAppointments: must be a whole number ≥ 0');
  }
  if (!Number.isInteger(noShows) || noShows < 0 || noShows > pastAppointments) {
    throw new RangeError('noShows: must be a whole number between 0 and pastAppointments');
  }
  if (pastAppointments === 0) return false;
  // Integer comparison: 3 of 10 is exactly 30 %, with no floating-point doubt.
  return noShows * 100 >= pastAppointments * UNRELIABLE_NO_SHOW_PERCENT;
}
