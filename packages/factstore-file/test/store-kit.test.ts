import { describeStoreKit } from 'factstore-test-support';
import { fileAdapter } from './adapter.js';

describeStoreKit(fileAdapter);
