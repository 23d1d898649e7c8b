import { describeFactStoreConformance } from 'factstore-conformance';
import { PostgresStore } from '../src/index.js';
import { databaseUrl, dropSchemas, freshSchema } from './database.js';

const schemas: string[] = [];
afterAll(() => dropSchemas(schemas));

describeFactStoreConformance('PostgresStore', () => {
  const schema = freshSchema('conf');
  schemas.push(schema);
  return PostgresStore.connect(databaseUrl(), { schema, pollIntervalMs: 200 });
});
