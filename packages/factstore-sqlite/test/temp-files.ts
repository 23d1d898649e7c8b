import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder for one test file's databases, removed with {@link removeTempFolders}. */
const folders: string[] = [];

export function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'factstore-sqlite-'));
  folders.push(folder);
  return folder;
}

let counter = 0;
/** A path for a new database file in a fresh temp folder. */
export function tempDb(name = 'store'): string {
  return join(tempFolder(), `${name}-${++counter}.db`);
}

export function removeTempFolders(): void {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
}
