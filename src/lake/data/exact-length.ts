// A pass-through that enforces a declared length, so a body that is shorter or longer
// than its Content-Length fails loudly instead of hanging or corrupting the request.
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Fails with `fail(detail)` as soon as more than `size` bytes pass, or at the end if fewer did.
 * `onChunk` sees each chunk's length as it passes (progress for a watchdog).
 */
export function exactLength(size: number, fail: (detail: string) => Error, onChunk?: (bytes: number) => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length;
      onChunk?.(chunk.length);
      if (seen > size) callback(fail(`body is longer than the declared ${size} bytes`));
      else callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      callback(seen === size ? null : fail(`body ended after ${seen} of the declared ${size} bytes`));
    },
  });
}
