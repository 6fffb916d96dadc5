// Reads the [client] section of the rucio.cfg a Rucio client on this machine would use.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Diagnostic } from './diagnostics.js';
import { fileProblem, isFile } from './files.js';

export interface RucioCfg {
  path: string;
  /** [client] keys, with [DEFAULT] filled in as configparser does. */
  client: Record<string, string>;
  /** Line of each [client] key, for messages about its value. */
  lines: Record<string, number>;
}

export interface RucioCfgRead {
  cfg: RucioCfg | null;
  /** The rucio.cfg in use, set even when it could not be read. */
  path?: string;
  /** Why a named rucio.cfg could not be read (anchored to the plan by the caller). */
  unreadable?: string;
  /** Syntax problems inside the file, with their line. */
  diagnostics: Diagnostic[];
}

type Env = Record<string, string | undefined>;

/**
 * RUCIO_CONFIG must point at a readable file; otherwise $RUCIO_HOME/etc/rucio.cfg and
 * /opt/rucio/etc/rucio.cfg are used when they exist, as the Rucio client does.
 */
export async function readRucioCfg(env: Env): Promise<RucioCfgRead> {
  const named = env.RUCIO_CONFIG;
  let path: string | undefined;
  if (named) {
    path = resolve(named);
  } else {
    const candidates = [
      ...(env.RUCIO_HOME ? [join(env.RUCIO_HOME, 'etc', 'rucio.cfg')] : []),
      '/opt/rucio/etc/rucio.cfg',
    ];
    for (const candidate of candidates) {
      if (await isFile(candidate)) {
        path = candidate;
        break;
      }
    }
  }
  if (!path) return { cfg: null, diagnostics: [] };

  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const origin = named ? ' (RUCIO_CONFIG)' : '';
    return { cfg: null, path, unreadable: `cannot read rucio.cfg ${path}${origin}: ${fileProblem(err)}`, diagnostics: [] };
  }
  const { sections, lines, problems } = parseIni(text);
  const diagnostics = problems.map(
    (p): Diagnostic => ({ file: path, line: p.line, column: 1, path: '', message: p.message, severity: 'error' }),
  );
  const client = { ...sections.DEFAULT, ...sections.client };
  return { cfg: { path, client, lines: { ...lines.DEFAULT, ...lines.client } }, path, diagnostics };
}

/** configparser-style INI: [section], `key = value` or `key: value`, #/; comments, indented continuations. */
export function parseIni(text: string): {
  sections: Record<string, Record<string, string>>;
  lines: Record<string, Record<string, number>>;
  problems: { line: number; message: string }[];
} {
  const sections: Record<string, Record<string, string>> = {};
  const lines: Record<string, Record<string, number>> = {};
  const problems: { line: number; message: string }[] = [];
  let section: Record<string, string> | undefined;
  let sectionLines: Record<string, number> = {};
  let lastKey: string | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    if (/^\s/.test(raw) && section && lastKey !== undefined) {
      section[lastKey] = `${section[lastKey]}\n${trimmed}`;
      return;
    }
    const header = /^\[([^\]]+)\]$/.exec(trimmed);
    if (header) {
      const name = header[1]!.trim();
      section = sections[name] ??= {};
      sectionLines = lines[name] ??= {};
      lastKey = undefined;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(trimmed);
    if (!kv) {
      problems.push({ line, message: `cannot parse line "${trimmed.slice(0, 40)}" (expected key = value)` });
      return;
    }
    if (!section) {
      problems.push({ line, message: 'key outside of any [section]' });
      return;
    }
    lastKey = kv[1]!.toLowerCase();
    section[lastKey] = kv[2]!;
    sectionLines[lastKey] = line;
  });
  return { sections, lines, problems };
}

/** Python's os.path.expanduser(os.path.expandvars(...)), which Rucio applies to its certificate paths. */
export function expandPath(value: string, env: Env): string {
  const vars = value.replace(/\$(\w+)|\$\{(\w+)\}/g, (whole, a?: string, b?: string) => env[(a ?? b)!] ?? whole);
  return vars.startsWith('~') && env.HOME ? join(env.HOME, vars.slice(1)) : vars;
}
