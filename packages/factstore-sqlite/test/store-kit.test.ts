import { describeStoreKit } from 'factstore-test-support';
import { sqliteAdapter } from './adapter.js';

describeStoreKit(sqliteAdapter);
