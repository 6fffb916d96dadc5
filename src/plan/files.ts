import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Why a file cannot be read, or null when it can. */
export async function unreadableReason(path: string): Promise<string | null> {
  try {
    await access(path, constants.R_OK);
    return null;
  } catch (err) {
    return fileProblem(err);
  }
}

/** A short reason for a failed file operation; never includes file content. */
export function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, expected a file';
    case 'ENOTDIR':
      return 'a parent of the path is not a directory';
    default:
      return code ?? 'cannot be read';
  }
}
