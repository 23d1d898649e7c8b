import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const folders: string[] = [];

/** A fresh temporary folder, removed with {@link removeTempFolders}. */
export function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'factstore-file-'));
  folders.push(folder);
  return folder;
}

let counter = 0;
/** A path for a new store folder (not created yet) inside a fresh temporary folder. */
export function tempStore(name = 'store'): string {
  return join(tempFolder(), `${name}-${++counter}`);
}

export function removeTempFolders(): void {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
}
