import { describeProjection } from 'factstore-test-support';
import { sqliteAdapter } from './adapter.js';
import { sql } from './sqlite-file.js';

describeProjection({
  store: sqliteAdapter,
  statement: 'run',
  rows: 'all',
  dialect: (statement) => statement,
  table: (_path, name) => `"${name}"`,
  sql: (path, statement, params = []) => sql(path, statement, [...params]),
});
