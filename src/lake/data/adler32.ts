// adler32 in WebAssembly SIMD (adler32.wat, 32 bytes per step), with the JavaScript loop where
// the engine lacks SIMD. The module is compiled once, synchronously, on first use.
import { ADLER32_WASM_BASE64 } from './adler32-wasm.js';
import { adler32UpdateJs } from './adler32-js.js';

/** Continues an adler32 value (start with 1) over `buf`. */
export type Adler32Update = (adler: number, buf: Uint8Array) => number;

export interface Adler32Engine {
  /** 'wasm-simd', or 'js' when the module did not validate (no WebAssembly SIMD). */
  readonly kind: 'wasm-simd' | 'js';
  readonly update: Adler32Update;
}

/** Bytes copied into linear memory per call: the memory stays this small whatever the input. */
export const ADLER32_SLICE = 1024 * 1024;
const WASM_PAGE = 65536;

type UpdateExport = (adler: number, ptr: number, len: number) => number;

export function adler32ModuleBytes(): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(ADLER32_WASM_BASE64, 'base64'));
}

function instantiate(module: WebAssembly.Module, bytes: number): { update: UpdateExport; heap: Uint8Array } {
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / WASM_PAGE)) });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { update: instance.exports.update as UpdateExport, heap: new Uint8Array(memory.buffer) };
}

/** An adler32 engine over `moduleBytes` (the committed module unless a test injects others). */
export function createAdler32Engine(moduleBytes: Uint8Array<ArrayBuffer> = adler32ModuleBytes()): Adler32Engine {
  if (!WebAssembly.validate(moduleBytes)) return { kind: 'js', update: adler32UpdateJs };
  const { update, heap } = instantiate(new WebAssembly.Module(moduleBytes), ADLER32_SLICE);
  return {
    kind: 'wasm-simd',
    update(adler, buf) {
      // Nothing to add: the value comes back as given (as zlib returns it).
      if (buf.length === 0) return adler >>> 0;
      for (let from = 0; from < buf.length; from += ADLER32_SLICE) {
        const piece = buf.subarray(from, from + ADLER32_SLICE);
        heap.set(piece);
        adler = update(adler, 0, piece.length);
      }
      return adler >>> 0;
    },
  };
}

let shared: Adler32Engine | undefined;

/** The process's engine, made on first use. */
export function adler32Engine(): Adler32Engine {
  return (shared ??= createAdler32Engine());
}
