import { describeProjection } from 'factstore-test-support';
import { postgresAdapter } from './adapter.js';
import { sql } from './database.js';

/** `?` placeholders as PostgreSQL's `$1`, `$2`, … */
const dialect = (statement: string) => {
  let n = 0;
  return statement.replace(/\?/g, () => `$${++n}`);
};

describeProjection({
  store: postgresAdapter,
  statement: 'unsafe',
  rows: 'unsafe',
  dialect,
  table: (schema, name) => `"${schema}"."${name}"`,
  sql: (_schema, statement, params = []) => sql(dialect(statement), [...params]),
});
