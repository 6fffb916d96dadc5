// User scenarios are type-checked with the TypeScript compiler API, with the project's
// own strictness, before any of them is loaded: a wrong use of the RunContext is found
// before a run, and a syntax error is reported at its line in the scenario file. A
// verdict is reused while no file the compiler read has changed.
import { createRequire } from 'node:module';
import { stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';

/** One compiler error; `file` is absent for errors that belong to no file. */
export interface TypeProblem {
  file?: string;
  line: number;
  column: number;
  message: string;
}

/** Earlier verdicts, with the modification times of every file the program read (`run` loads its plan twice). */
const verdicts = new Map<string, { stamps: Map<string, string>; problems: TypeProblem[] }>();
const MAX_VERDICTS = 20;

async function stamp(file: string): Promise<string> {
  return stat(file).then((s) => `${s.mtimeMs}:${s.ctimeMs}:${s.size}`, () => 'absent');
}

/** The syntax and type errors of these modules and what they import (none: []). */
export async function typecheckFiles(files: readonly string[]): Promise<TypeProblem[]> {
  if (files.length === 0) return [];
  const key = JSON.stringify(files);
  const earlier = verdicts.get(key);
  if (earlier) {
    const same = await Promise.all([...earlier.stamps].map(async ([file, at]) => (await stamp(file)) === at));
    if (same.every(Boolean)) return earlier.problems;
  }
  return compile(files);
}

async function compile(files: readonly string[]): Promise<TypeProblem[]> {
  // The modules themselves are stamped before the compiler reads them, so an edit while it runs is seen next time.
  const before = new Map(await Promise.all(files.map(async (f) => [resolve(f), await stamp(f)] as const)));
  const ts = (await import('typescript')).default;
  // Node's types from lakeprobe's own install, wherever the plan lives.
  const typeRoots = [dirname(dirname(createRequire(import.meta.url).resolve('@types/node/package.json')))];
  const program = ts.createProgram([...files], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, noUncheckedIndexedAccess: true, esModuleInterop: true, skipLibCheck: true, noEmit: true, types: ['node'], typeRoots,
  });
  const read = program.getSourceFiles().map((f) => resolve(f.fileName)).filter((f) => !f.includes(`${sep}node_modules${sep}`) && !before.has(f));
  const stamps = new Map([...before, ...await Promise.all(read.map(async (f) => [f, await stamp(f)] as const))]);
  const problems = ts.getPreEmitDiagnostics(program).map((d): TypeProblem => {
    const text = `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0] ?? ''}`;
    if (!d.file || d.start === undefined) return { line: 1, column: 1, message: text };
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return { file: resolve(d.file.fileName), line: line + 1, column: character + 1, message: text };
  });
  if (verdicts.size >= MAX_VERDICTS) verdicts.delete(verdicts.keys().next().value as string);
  verdicts.set(JSON.stringify(files), { stamps, problems });
  return problems;
}
