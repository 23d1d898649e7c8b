import { describeFactStoreConformance } from 'factstore-conformance';
import { FileStore } from '../src/index.js';
import { removeTempFolders, tempStore } from './temp-folders.js';

afterAll(removeTempFolders);

describeFactStoreConformance('FileStore', () => FileStore.open(tempStore('conformance')));
// every record read back from the segments (none kept parsed in memory), in small segments
describeFactStoreConformance('FileStore (cachedEvents 0, segments of 1 KiB)', () =>
  FileStore.open(tempStore('conformance-uncached'), { cachedEvents: 0, segmentBytes: 1024 }),
);
