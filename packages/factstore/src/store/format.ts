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

/**
 * Upgrades stored data from format `from` to `to`, one step at a time (`steps[n]` turns format n
 * into n + 1), inside the caller's transaction: a failing step leaves the old format as it was.
 * @throws Error when a step is missing
 */
export async function upgradeFormat(from: number, to: number, steps: Readonly<Record<number, () => Promise<void>>>): Promise<void> {
  for (let version = from; version < to; version++) {
    const step = steps[version];
    if (!step) throw new Error(`no upgrade from format ${version} to ${version + 1}`);
    await step();
  }
}
