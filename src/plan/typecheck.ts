// `lakeprobe validate` type-checks user scenarios with the TypeScript compiler API, with
// the project's own strictness, so a wrong use of the RunContext is found before a run.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { userScenarioPath, userScenarioRefs } from './user-scenarios.js';

/** Type errors of the user scenarios a plan names, as `file:line:col: message` lines (none: []). */
export async function typecheckUserScenarios(planFile: string): Promise<string[]> {
  const refs = userScenarioRefs(await readFile(planFile, 'utf8'));
  if (refs.length === 0) return [];
  const ts = (await import('typescript')).default;
  // Node's types from lakeprobe's own install, wherever the plan lives.
  const typeRoots = [dirname(dirname(createRequire(import.meta.url).resolve('@types/node/package.json')))];
  const program = ts.createProgram(refs.map((r) => userScenarioPath(planFile, r)), {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, noUncheckedIndexedAccess: true, esModuleInterop: true, skipLibCheck: true, noEmit: true, types: ['node'], typeRoots,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0] ?? '';
    if (!d.file || d.start === undefined) return `error TS${d.code}: ${text}`;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${d.file.fileName}:${line + 1}:${character + 1}: error TS${d.code}: ${text}`;
  });
}
