// adler32 in plain JavaScript: the fallback where WebAssembly SIMD is not available.
import { endianness } from 'node:os';

const MOD_ADLER = 65521;
// zlib's NMAX: the most bytes the sums can take before a modulo keeps them below 2^32.
const NMAX = 5552;
const LITTLE_ENDIAN = endianness() === 'LE';

function addBytes(state: { a: number; b: number }, buf: Uint8Array, from: number, to: number): void {
  let { a, b } = state;
  for (let i = from; i < to; ) {
    const end = Math.min(i + NMAX, to);
    for (; i < end; i++) {
      a += buf[i]!;
      b += a;
    }
    a %= MOD_ADLER;
    b %= MOD_ADLER;
  }
  state.a = a;
  state.b = b;
}

/** Continue an adler32 value (start with 1) over `buf`, in JavaScript. */
export function adler32UpdateJs(adler: number, buf: Uint8Array): number {
  const state = { a: adler & 0xffff, b: adler >>> 16 };
  const len = buf.length;
  // Align to 4 bytes so the bulk can be read as 32-bit words (little-endian hosts only).
  const head = LITTLE_ENDIAN ? Math.min((4 - (buf.byteOffset & 3)) & 3, len) : len;
  addBytes(state, buf, 0, head);
  // A view shorter than its alignment is done (and could not be viewed as words).
  if (head === len) return ((state.b << 16) | state.a) >>> 0;
  const words = new Uint32Array(buf.buffer, buf.byteOffset + head, ((len - head) >>> 3) << 1);
  let { a, b } = state;
  const blockWords = NMAX / 4;
  let w = 0;
  while (w < words.length) {
    const end = Math.min(w + blockWords, words.length);
    // 8 bytes per step: b gains 8a plus the bytes weighted 8..1, a gains their sum.
    for (; w < end; w += 2) {
      const x = words[w]!;
      const y = words[w + 1]!;
      const x0 = x & 255, x1 = (x >>> 8) & 255, x2 = (x >>> 16) & 255, x3 = x >>> 24;
      const y0 = y & 255, y1 = (y >>> 8) & 255, y2 = (y >>> 16) & 255, y3 = y >>> 24;
      b += 8 * a + 8 * x0 + 7 * x1 + 6 * x2 + 5 * x3 + 4 * y0 + 3 * y1 + 2 * y2 + y3;
      a += x0 + x1 + x2 + x3 + y0 + y1 + y2 + y3;
    }
    a %= MOD_ADLER;
    b %= MOD_ADLER;
  }
  state.a = a;
  state.b = b;
  addBytes(state, buf, head + words.length * 4, len);
  return ((state.b << 16) | state.a) >>> 0;
}
