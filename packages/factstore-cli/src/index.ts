/**
 * factstore-cli: the `factstore` command (see its `--help` and docs/cli.md), and what it is made
 * of, for scripts: store addresses ({@link parseAddress}, {@link openStore}), the export line
 * format ({@link exportLines}, {@link importLines}), and {@link main} itself.
 * @packageDocumentation
 */
export { CliError, describeAddress, openStore, parseAddress, type OpenOptions, type StoreAddress } from './address.js';
export { EXPORT_FORMAT, EXPORT_VERSION, exportLines, importLines, type ExportLine, type ImportSummary } from './export-format.js';
export { errorLine, main, type Io } from './main.js';
export { Progress, type ProgressOutput } from './progress.js';
