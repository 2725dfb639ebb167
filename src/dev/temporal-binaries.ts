// @ts-expect-error plain ESM script shared with `npm install`'s postinstall step
import { ensureTemporalBinaries as ensure } from '../../scripts/setup-temporal.mjs';

/** Paths of the Temporal CLI and test server (installed on demand, see scripts/setup-temporal.mjs). */
export function temporalBinaries(): { cli: string; testServer: string } {
  return ensure() as { cli: string; testServer: string };
}
