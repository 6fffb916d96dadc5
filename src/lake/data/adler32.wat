;; adler32 (RFC 1950, as zlib computes it) over a range of linear memory, 32 bytes per SIMD step.
;; Compiled by scripts/build-wasm.mjs into adler32-wasm.ts; the memory is the caller's.
;;
;; For a block of n steps of 32 bytes x[0..31] each, starting from sums (a, b):
;;   a' = a + (sum of all bytes)
;;   b' = b + 32n a + 32 (sum over steps of the byte sums of all steps before it)
;;          + sum over i of (32 - i) C[i],  C[i] = the sum over steps of byte i of each step.
;; Per step $vs1 gains the step's byte sum and $prev gains $vs1 as it was before (i32x4), and the
;; sixteen-bit column sums $c0..$c3 gain bytes 0-7, 8-15, 16-23, 24-31 of the step. The weights
;; are applied to the columns once per block, and the lanes are added up and reduced in i64.
;; (Weighting every step with i16x8.extmul_*_i8x16_u instead measured about twice as slow, and
;; i32x4.extadd_pairwise_i16x8_u in place of the dot below about 10 % slower, on V8 x86-64.)
;;
;; Bounds, all lanes unsigned, for a block of n <= 256 steps (8 KiB):
;;   column lanes gain one byte per step                       <= 255 n <= 65,280 < 2^16
;;   t = extadd_pairwise(x) + extadd_pairwise(y): 4 bytes a lane      <= 1020 < 2^15, so the
;;     signed i32x4.dot_i16x8_s(t, 1) is the exact pair sum           <= 2040
;;   $vs1 lane  <= 2040 n                                              <= 522,240
;;   $prev lane <= 2040 (0 + 1 + ... + (n - 1)) = 1020 n (n - 1)       <= 66,585,600
;;   weighted columns: 8 products a lane of at most 65,280 * 32       <= 16,711,680
;; so no lane wraps. In i64: b + 32n a + 32 * 4 * max($prev) + 4 * max(weighted) < 2^34,
;; and a + 4 * max($vs1) < 2^22, far below 2^63 (a and b start below 2^16).
;; The scalar tail adds at most 31 bytes to a < 2^16 and b < 2^16: a < 2^17, b < 2^22.
(module
  (import "env" "memory" (memory 1))

  ;; The four i32 lanes of $v added up, unsigned.
  (func $hsum (param $v v128) (result i64)
    (i64.add
      (i64.add
        (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $v)))
        (i64.extend_i32_u (i32x4.extract_lane 1 (local.get $v))))
      (i64.add
        (i64.extend_i32_u (i32x4.extract_lane 2 (local.get $v)))
        (i64.extend_i32_u (i32x4.extract_lane 3 (local.get $v))))))

  ;; adler32 continued from $adler over the $len bytes at $ptr.
  (func (export "update") (param $adler i32) (param $ptr i32) (param $len i32) (result i32)
    (local $a i64) (local $b i64)
    (local $end i32) (local $vecEnd i32) (local $blockEnd i32) (local $blockLen i32)
    (local $x v128) (local $y v128) (local $vs1 v128) (local $vs2 v128) (local $prev v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $ones v128)
    (local.set $a (i64.extend_i32_u (i32.and (local.get $adler) (i32.const 0xffff))))
    (local.set $b (i64.extend_i32_u (i32.shr_u (local.get $adler) (i32.const 16))))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (local.set $vecEnd (i32.add (local.get $ptr) (i32.and (local.get $len) (i32.const -32))))
    (local.set $ones (v128.const i16x8 1 1 1 1 1 1 1 1))
    ;; Blocks of up to 8192 bytes (256 steps), the last one shorter; then len mod 32 bytes.
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.ge_u (local.get $ptr) (local.get $vecEnd)))
        (local.set $blockLen
          (select (i32.const 8192) (i32.sub (local.get $vecEnd) (local.get $ptr))
            (i32.gt_u (i32.sub (local.get $vecEnd) (local.get $ptr)) (i32.const 8192))))
        (local.set $blockEnd (i32.add (local.get $ptr) (local.get $blockLen)))
        (local.set $vs1 (v128.const i64x2 0 0))
        (local.set $prev (v128.const i64x2 0 0))
        (local.set $c0 (v128.const i64x2 0 0))
        (local.set $c1 (v128.const i64x2 0 0))
        (local.set $c2 (v128.const i64x2 0 0))
        (local.set $c3 (v128.const i64x2 0 0))
        (loop $steps
          (local.set $x (v128.load align=1 (local.get $ptr)))
          (local.set $y (v128.load offset=16 align=1 (local.get $ptr)))
          (local.set $prev (i32x4.add (local.get $prev) (local.get $vs1)))
          (local.set $vs1
            (i32x4.add (local.get $vs1)
              (i32x4.dot_i16x8_s
                (i16x8.add
                  (i16x8.extadd_pairwise_i8x16_u (local.get $x))
                  (i16x8.extadd_pairwise_i8x16_u (local.get $y)))
                (local.get $ones))))
          (local.set $c0 (i16x8.add (local.get $c0) (i16x8.extend_low_i8x16_u (local.get $x))))
          (local.set $c1 (i16x8.add (local.get $c1) (i16x8.extend_high_i8x16_u (local.get $x))))
          (local.set $c2 (i16x8.add (local.get $c2) (i16x8.extend_low_i8x16_u (local.get $y))))
          (local.set $c3 (i16x8.add (local.get $c3) (i16x8.extend_high_i8x16_u (local.get $y))))
          (local.set $ptr (i32.add (local.get $ptr) (i32.const 32)))
          (br_if $steps (i32.lt_u (local.get $ptr) (local.get $blockEnd))))
        ;; Column k of $c0..$c3 holds bytes at offsets k, 8 + k, 16 + k, 24 + k: weights 32 - offset.
        (local.set $vs2
          (i32x4.add
            (i32x4.add
              (i32x4.add
                (i32x4.extmul_low_i16x8_u (local.get $c0) (v128.const i16x8 32 31 30 29 28 27 26 25))
                (i32x4.extmul_high_i16x8_u (local.get $c0) (v128.const i16x8 32 31 30 29 28 27 26 25)))
              (i32x4.add
                (i32x4.extmul_low_i16x8_u (local.get $c1) (v128.const i16x8 24 23 22 21 20 19 18 17))
                (i32x4.extmul_high_i16x8_u (local.get $c1) (v128.const i16x8 24 23 22 21 20 19 18 17))))
            (i32x4.add
              (i32x4.add
                (i32x4.extmul_low_i16x8_u (local.get $c2) (v128.const i16x8 16 15 14 13 12 11 10 9))
                (i32x4.extmul_high_i16x8_u (local.get $c2) (v128.const i16x8 16 15 14 13 12 11 10 9)))
              (i32x4.add
                (i32x4.extmul_low_i16x8_u (local.get $c3) (v128.const i16x8 8 7 6 5 4 3 2 1))
                (i32x4.extmul_high_i16x8_u (local.get $c3) (v128.const i16x8 8 7 6 5 4 3 2 1))))))
        (local.set $b
          (i64.rem_u
            (i64.add
              (i64.add (local.get $b)
                (i64.mul (i64.extend_i32_u (local.get $blockLen)) (local.get $a)))
              (i64.add
                (i64.shl (call $hsum (local.get $prev)) (i64.const 5))
                (call $hsum (local.get $vs2))))
            (i64.const 65521)))
        (local.set $a (i64.rem_u (i64.add (local.get $a) (call $hsum (local.get $vs1))) (i64.const 65521)))
        (br $blocks)))
    ;; The last len mod 32 bytes, one at a time.
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $a (i64.add (local.get $a) (i64.load8_u (local.get $ptr))))
        (local.set $b (i64.add (local.get $b) (local.get $a)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $tail)))
    (i32.or
      (i32.shl (i32.wrap_i64 (i64.rem_u (local.get $b) (i64.const 65521))) (i32.const 16))
      (i32.wrap_i64 (i64.rem_u (local.get $a) (i64.const 65521))))))
