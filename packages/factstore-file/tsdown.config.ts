export { default } from '../../tools/tsdown.base.ts';
