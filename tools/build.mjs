// Builds the package in the current folder with tsdown (its tsdown.config.ts), through tsdown's
// API rather than its command line: the command line warns on every run that Node 20 is deprecated
// for tsdown itself, which says nothing about the packages we build (they support Node 20.19+).
import { build } from 'tsdown';

await build({});
