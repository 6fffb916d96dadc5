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

/** A buffer to read data into and sum where it lies, saving the copy `update` makes. */
export interface Adler32ReadBuffer {
  readonly kind: 'wasm-simd' | 'js';
  /** The bytes to fill (e.g. by `fs.read`); a view of linear memory, valid as long as this object. */
  readonly bytes: Uint8Array;
  /** Continues `adler` over `length` bytes of `bytes` from `offset`. */
  update(adler: number, length: number, offset?: number): number;
}

/** Bytes copied into linear memory per call: the memory stays this small whatever the input. */
export const ADLER32_SLICE = 1024 * 1024;
/** The largest read buffer: 256 MiB. */
export const ADLER32_MAX_READ_BUFFER = 256 * 1024 * 1024;
const WASM_PAGE = 65536;

type UpdateExport = (adler: number, ptr: number, len: number) => number;

export function adler32ModuleBytes(): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(ADLER32_WASM_BASE64, 'base64'));
}

let committedModule: WebAssembly.Module | null | undefined;

/** The compiled module, or null when it does not validate; the committed one is compiled once. */
function compile(moduleBytes: Uint8Array<ArrayBuffer> | undefined): WebAssembly.Module | null {
  const compileBytes = (bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module | null =>
    WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  if (moduleBytes) return compileBytes(moduleBytes);
  if (committedModule === undefined) committedModule = compileBytes(adler32ModuleBytes());
  return committedModule;
}

/** An instance with its own memory of at least `bytes` (never grown, so views stay valid). */
function instantiate(module: WebAssembly.Module, bytes: number): { update: UpdateExport; heap: Uint8Array } {
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / WASM_PAGE)) });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { update: instance.exports.update as UpdateExport, heap: new Uint8Array(memory.buffer) };
}

/** An adler32 engine over the committed module, or over `moduleBytes` when given (tests). */
export function createAdler32Engine(moduleBytes?: Uint8Array<ArrayBuffer>): Adler32Engine {
  const module = compile(moduleBytes);
  if (!module) return { kind: 'js', update: adler32UpdateJs };
  const { update, heap } = instantiate(module, ADLER32_SLICE);
  return {
    kind: 'wasm-simd',
    update(adler, buf) {
      // Nothing to add: the value comes back as given (as zlib returns it).
      if (buf.length === 0) return adler >>> 0;
      if (buf.length <= ADLER32_SLICE) {
        heap.set(buf);
        return update(adler, 0, buf.length) >>> 0;
      }
      for (let from = 0; from < buf.length; from += ADLER32_SLICE) {
        const piece = buf.subarray(from, from + ADLER32_SLICE);
        heap.set(piece);
        adler = update(adler, 0, piece.length);
      }
      return adler >>> 0;
    },
  };
}

/**
 * A read buffer of `capacity` bytes: with WebAssembly SIMD the memory of an instance of its own,
 * without it a plain array summed in JavaScript.
 */
export function createAdler32ReadBuffer(capacity: number, moduleBytes?: Uint8Array<ArrayBuffer>): Adler32ReadBuffer {
  if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > ADLER32_MAX_READ_BUFFER) {
    throw new RangeError(`adler32 read buffer capacity must be an integer from 1 to ${ADLER32_MAX_READ_BUFFER} bytes, not ${capacity}`);
  }
  const check = (length: number, offset: number): void => {
    if (!(Number.isSafeInteger(length) && Number.isSafeInteger(offset) && offset >= 0 && length >= 0 && offset + length <= capacity)) {
      throw new RangeError(`adler32 read buffer: ${length} bytes at offset ${offset} exceed its ${capacity} bytes`);
    }
  };
  const module = compile(moduleBytes);
  if (!module) {
    const bytes = new Uint8Array(capacity);
    return {
      kind: 'js',
      bytes,
      update(adler, length, offset = 0) {
        check(length, offset);
        return adler32UpdateJs(adler, bytes.subarray(offset, offset + length));
      },
    };
  }
  const { update, heap } = instantiate(module, capacity);
  return {
    kind: 'wasm-simd',
    bytes: heap.subarray(0, capacity),
    update(adler, length, offset = 0) {
      check(length, offset);
      return length === 0 ? adler >>> 0 : update(adler, offset, length) >>> 0;
    },
  };
}

let shared: Adler32Engine | undefined;

/** The process's engine, made on first use. */
export function adler32Engine(): Adler32Engine {
  return (shared ??= createAdler32Engine());
}
