/**
 * What a workflow was told last: the appointment revision of its latest snapshot and the center
 * settings version of its latest policy signal. A read older than that must not be acted on.
 */
export interface KnownVersions {
  minRevision?: number;
  minSettingsVersion?: number;
}

/** Why a read is older than what the workflow was told, or null when it is fresh enough. */
export function staleness(read: { revision: number | null; settingsVersion: number }, known: KnownVersions): string | null {
  if (known.minSettingsVersion !== undefined && read.settingsVersion < known.minSettingsVersion) {
    return `center settings at version ${read.settingsVersion}, the workflow was told ${known.minSettingsVersion}`;
  }
  if (known.minRevision !== undefined && read.revision !== null && read.revision < known.minRevision) {
    return `appointment at revision ${read.revision}, the workflow was told ${known.minRevision}`;
  }
  return null;
}
