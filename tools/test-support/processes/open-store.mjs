// What every child script of the store test kit starts with: the store spec the parent passed as
// the first argument (JSON: { module, exportName, open, args }, see src/store-kit/adapter.ts),
// the store opened from it, and the remaining arguments.

/** Opens the store the spec names: `(await import(module))[exportName][open](...args)`. */
export async function openStore(spec) {
  const mod = await import(spec.module);
  return mod[spec.exportName][spec.open](...spec.args);
}

/** The spec of this process (its first argument). */
export const spec = JSON.parse(process.argv[2]);

/** The arguments after the spec. */
export const args = process.argv.slice(3);

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
