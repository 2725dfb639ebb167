import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/min';

/**
 * Where a center's SMS and calls may go (issue 9: SMS pumping to premium numbers abroad). The
 * platform sets a list of countries per center; without one, the center's own country.
 */

/** ISO 3166 alpha-2 country of an E.164 number, or null when the number belongs to none known. */
export function phoneCountry(e164: string): string | null {
  const parsed = parsePhoneNumberFromString(e164);
  // +1 is shared by the US, Canada and Caribbean countries: only a valid number says which.
  return parsed?.country ?? null;
}

export function allowedPhoneCountries(center: { country: string; phoneCountries: readonly string[] | null }): readonly string[] {
  return center.phoneCountries ?? [center.country];
}

/** A number of a country outside the list, or of no known country, is not called nor texted. */
export function destinationAllowed(e164: string, countries: readonly string[]): boolean {
  const country = phoneCountry(e164);
  return country !== null && countries.includes(country);
}

/** An ISO 3166 alpha-2 code with a telephone calling code (what a destination list may hold). */
export function isPhoneCountry(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code);
}
