import { readFile, stat } from 'node:fs/promises';
import { CredentialError } from '../errors.js';

export interface ReadOptions {
  /** Receives non-fatal remarks (e.g. a key file readable by others). Never given secrets. */
  onWarning?: (message: string) => void;
}

/**
 * Reads a credential file, mapping failures to CredentialError. With `secret`, a file
 * that group or others may read gets a warning: grid tools refuse such keys, we only say so.
 */
export async function readCredentialFile(path: string, secret: boolean, opts: ReadOptions = {}): Promise<string> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new CredentialError('unreadable', path, 'is a directory, expected a file');
    if (secret && (info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8);
      opts.onWarning?.(`${path}: readable by group or others (mode ${mode}); chmod 600 it`);
    }
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof CredentialError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CredentialError('missing', path, 'file not found');
    if (code === 'EACCES' || code === 'EPERM') throw new CredentialError('unreadable', path, 'permission denied');
    throw new CredentialError('unreadable', path, code ?? 'cannot be read');
  }
}
