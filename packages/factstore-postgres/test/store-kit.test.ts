import { describeStoreKit } from 'factstore-test-support';
import { postgresAdapter } from './adapter.js';

describeStoreKit(postgresAdapter);
