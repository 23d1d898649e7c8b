import { describeFactStoreConformance } from 'factstore-conformance';
import { SqliteStore } from '../src/index.js';
import { removeTempFolders, tempDb } from './temp-files.js';

afterAll(removeTempFolders);

describeFactStoreConformance('SqliteStore', () => SqliteStore.open(tempDb('conformance')));
