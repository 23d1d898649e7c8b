import { describeFactStoreConformance } from 'factstore-conformance';
import { FileStore } from '../src/index.js';
import { removeTempFolders, tempStore } from './temp-folders.js';

afterAll(removeTempFolders);

describeFactStoreConformance('FileStore', () => FileStore.open(tempStore('conformance')));
