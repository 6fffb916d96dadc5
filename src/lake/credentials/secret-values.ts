// The secret values credential files hold, for redaction: a token file's token, the
// private keys (and their body lines) of a PEM file. Nothing is validated here and an
// unreadable file gives nothing: loading the credential for use reports its problems.
import { readFile, stat } from 'node:fs/promises';
import { pemBlocks, PRIVATE_KEY_LABELS } from './pem.js';

/** Body lines shorter than this are not distinctive enough to redact on their own. */
const MIN_KEY_LINE = 40;
/** Credential files are small; a larger one is not read (its loading fails on its own). */
const MAX_FILE_BYTES = 1024 * 1024;

async function readOrEmpty(path: string): Promise<string> {
  try {
    const info = await stat(path);
    return info.isFile() && info.size <= MAX_FILE_BYTES ? await readFile(path, 'utf8') : '';
  } catch {
    return '';
  }
}

/** A token as given (file contents or a variable's value): the whole text and the trimmed token. */
export function tokenSecretValues(text: string): string[] {
  return [...new Set([text, text.trim()])].filter((s) => s.trim().length > 0);
}

export async function tokenFileSecretValues(path: string): Promise<string[]> {
  return tokenSecretValues(await readOrEmpty(path));
}

/** Each private key of a PEM file as written and as its base64 lines (a message may quote a part). */
export function privateKeySecretValues(text: string): string[] {
  const out: string[] = [];
  for (const block of pemBlocks(text)) {
    if (!PRIVATE_KEY_LABELS.includes(block.label)) continue;
    out.push(block.pem.trim());
    out.push(...block.pem.split('\n').filter((line) => line.length >= MIN_KEY_LINE && !line.startsWith('-----')));
  }
  const raw = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;
  for (const m of text.matchAll(raw)) out.push(m[0]);
  return [...new Set(out)];
}

export async function privateKeyFileSecretValues(path: string): Promise<string[]> {
  return privateKeySecretValues(await readOrEmpty(path));
}
