export { random, pick } from './random.js';
export { child, kill, type Message } from './children.js';
export * from './store-kit/index.js';
export * from './faults/index.js';
