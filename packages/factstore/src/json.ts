import { Type, type TSchema } from '@sinclair/typebox';

/**
 * A JSON value: what a payload and a payload predicate are made of. Plain objects, arrays,
 * strings, finite numbers, booleans and null; nothing else.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * TypeBox schema of {@link JsonValue}. It describes the shape for documentation and for use with
 * other JSON Schema tools; factstore itself checks JSON values with a walker that also refuses
 * cycles, class instances, lone surrogates and `\u0000`, which a schema cannot express.
 */
export const JsonValue: TSchema = Type.Recursive(
  (Self) => Type.Union([Type.Null(), Type.Boolean(), Type.Number(), Type.String(), Type.Array(Self), Type.Record(Type.String(), Self)]),
  { $id: 'JsonValue' },
);
