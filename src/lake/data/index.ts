export { adler32Hex, adler32ToHex, adler32Update, ChecksumAccumulator, checksumStream, type Checksums } from './checksum.js';
export { parseDigest, type DigestAlgorithm } from './digest.js';
export { exactLength } from './exact-length.js';
export { ChecksumTap, DEFAULT_SYNTHETIC_CHUNK, syntheticChecksums, syntheticStream, type ChecksumTapOptions, type SyntheticOptions } from './synthetic.js';
export { ParallelChecksums, type ParallelDigest } from './parallel-checksums.js';
