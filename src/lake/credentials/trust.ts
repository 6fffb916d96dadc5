// CA certificates for TLS: a PEM bundle, or a grid-style certificate directory
// (hash-named *.0 links and *.pem files, often the same CA twice).
import { X509Certificate } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CredentialError } from '../errors.js';
import { CERTIFICATE, pemBlocks } from './pem.js';
import type { ReadOptions } from './read.js';
import type { TrustAnchors } from './types.js';

const ANCHOR_FILE = /\.(\d+|pem)$/;

export async function loadTrustAnchors(path: string, opts: ReadOptions = {}): Promise<TrustAnchors> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CredentialError(code === 'ENOENT' ? 'missing' : 'unreadable', path, code === 'ENOENT' ? 'not found' : String(code));
  }
  const files = isDirectory
    ? (await readdir(path)).filter((name) => ANCHOR_FILE.test(name)).sort().map((name) => join(path, name))
    : [path];

  const seen = new Set<string>();
  const anchors: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      // A dangling hash link must not take every other CA down with it.
      if (!isDirectory) throw new CredentialError('unreadable', file, String((err as NodeJS.ErrnoException).code));
      opts.onWarning?.(`${file}: skipped, cannot be read`);
      continue;
    }
    for (const block of pemBlocks(text).filter((b) => b.label === CERTIFICATE)) {
      const id = block.der.toString('base64');
      if (seen.has(id)) continue;
      seen.add(id);
      if (!parses(block.der)) {
        opts.onWarning?.(`${file}: skipped a certificate that cannot be parsed`);
        continue;
      }
      anchors.push(block.pem);
    }
  }
  if (anchors.length === 0) throw new CredentialError('invalid', path, 'no CA certificates found');
  return anchors;
}

function parses(der: Buffer): boolean {
  try {
    new X509Certificate(der);
    return true;
  } catch {
    return false;
  }
}
