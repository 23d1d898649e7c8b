import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { InvalidInputError } from 'factstore';

/** Options of {@link PostgresStore.connect}. */
export interface PostgresStoreOptions {
  /** The PostgreSQL schema that holds every table (created when missing). Default `factstore`. */
  schema?: string;
  /** How often streams look for commits they were not notified of, in ms (default 1000). */
  pollIntervalMs?: number;
}

/** TypeBox schema of {@link PostgresStoreOptions}. */
export const PostgresStoreOptions = Type.Object(
  {
    schema: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,50}$' })),
    pollIntervalMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000 })),
  },
  { additionalProperties: false },
);

const check = TypeCompiler.Compile(PostgresStoreOptions);

/** Validates the options of `connect`, with defaults filled in. */
export function validateOptions(options: unknown): Required<PostgresStoreOptions> {
  const given = options === undefined ? {} : options;
  const cleaned =
    typeof given === 'object' && given !== null && !Array.isArray(given)
      ? Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined))
      : given;
  if (!check.Check(cleaned)) {
    throw new InvalidInputError(
      [...check.Errors(cleaned)].map((error) => ({
        path: `options${error.path}`,
        message: error.path === '/schema' ? 'must be a plain identifier: a letter or _, then letters, digits or _ (at most 51)' : error.message,
      })),
    );
  }
  const o = cleaned as PostgresStoreOptions;
  return { schema: o.schema ?? 'factstore', pollIntervalMs: o.pollIntervalMs ?? 1000 };
}
