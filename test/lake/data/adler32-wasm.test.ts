import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { describe, expect, it } from 'vitest';
import { adler32ModuleBytes } from '../../../src/lake/data/adler32.js';

describe('the committed adler32 WebAssembly module', () => {
  it('is exactly what wabt compiles from adler32.wat (npm run build:wasm regenerates it)', async () => {
    const watPath = new URL('../../../src/lake/data/adler32.wat', import.meta.url);
    const wabt = await wabtInit();
    const module = wabt.parseWat('adler32.wat', await readFile(watPath, 'utf8'), { simd: true });
    try {
      module.validate();
      const compiled = module.toBinary({ write_debug_names: false }).buffer;
      expect(Buffer.from(adler32ModuleBytes()).equals(Buffer.from(compiled))).toBe(true);
    } finally {
      module.destroy();
    }
  });

  it('is up to date as a whole generated file by the build script’s own check', () => {
    const script = fileURLToPath(new URL('../../../scripts/build-wasm.mjs', import.meta.url));
    const run = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
