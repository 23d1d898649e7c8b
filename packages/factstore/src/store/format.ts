/** Raised when storage was written by a newer release of a store: it is refused, never changed. */
export class NewerFormatError extends Error {
  constructor(
    /** The format the storage has (as stored; `undefined` when missing). */
    readonly found: string | undefined,
    /** The newest format this release reads. */
    readonly supported: number,
    where: string,
  ) {
    super(`${where} has factstore format ${found ?? 'unknown'}; this release reads format ${supported} and older`);
    this.name = 'NewerFormatError';
  }
}

/**
 * Checks a stored format version before a store touches anything.
 * @returns the stored version, a whole number from 1 to `supported`
 * @throws NewerFormatError when it is newer than `supported`, or not a format version at all
 */
export function checkFormat(found: string | undefined, supported: number, where: string): number {
  const version = Number(found);
  if (!Number.isInteger(version) || version < 1 || version > supported) throw new NewerFormatError(found, supported, where);
  return version;
}
