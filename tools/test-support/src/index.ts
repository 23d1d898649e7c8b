export { random, pick } from './random.js';
export { child, kill, type Message } from './children.js';
export { checkPausedHolderIsFenced, type FencingTarget } from './lease-fencing.js';
