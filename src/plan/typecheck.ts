// User scenarios are type-checked with the TypeScript compiler API, with the project's
// own strictness, before any of them is loaded: a wrong use of the RunContext is found
// before a run, and a syntax error is reported at its line in the scenario file.
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

/** One compiler error; `file` is absent for errors that belong to no file. */
export interface TypeProblem {
  file?: string;
  line: number;
  column: number;
  message: string;
}

/** The syntax and type errors of these modules and what they import (none: []). */
export async function typecheckFiles(files: readonly string[]): Promise<TypeProblem[]> {
  if (files.length === 0) return [];
  const ts = (await import('typescript')).default;
  // Node's types from lakeprobe's own install, wherever the plan lives.
  const typeRoots = [dirname(dirname(createRequire(import.meta.url).resolve('@types/node/package.json')))];
  const program = ts.createProgram([...files], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, noUncheckedIndexedAccess: true, esModuleInterop: true, skipLibCheck: true, noEmit: true, types: ['node'], typeRoots,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0] ?? ''}`;
    if (!d.file || d.start === undefined) return { line: 1, column: 1, message: text };
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return { file: resolve(d.file.fileName), line: line + 1, column: character + 1, message: text };
  });
}
