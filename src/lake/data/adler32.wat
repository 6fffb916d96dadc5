;; adler32 (RFC 1950, as zlib computes it) over a range of linear memory, 32 bytes per SIMD step.
;; Compiled by scripts/build-wasm.mjs into adler32-wasm.ts; the memory is the caller's.
;;
;; For a block of n steps of 32 bytes x[0..31] each, starting from sums (a, b):
;;   a' = a + sum of all bytes
;;   b' = b + 32n*a + 32 * (sum over steps of the byte sums of the steps before it)
;;          + sum over steps of sum_i (32 - i) * x[i]
;; The vectors: $vs1 holds the running byte sum, $prev the sum of $vs1 before each step,
;; $vs2 the weighted sums; their four lanes are added up and reduced in i64 once per block.
;;
;; Bounds (all lanes unsigned), for one step:
;;   i16x8 byte-pair sums of x plus those of y: each lane adds 4 bytes       <= 4 * 255 = 1020
;;   i32x4.extadd_pairwise of that: each lane adds 8 bytes                   <= 2040
;;   i16x8 weighted lane k (k = 0..7) = x[k](32-k) + x[8+k](24-k) + y[k](16-k) + y[8+k](8-k)
;;                                                      <= 255 * (80 - 4k) <= 20400 < 2^16
;;   its i32x4.extadd_pairwise: each lane adds 2 of those                    <= 40800
;; and for a block of n <= 1024 steps (32 KiB):
;;   $vs1 lane  <= 2040 n                               <= 2,088,960
;;   $prev lane <= 2040 (0 + 1 + ... + (n - 1)) = 1020 n (n - 1)  <= 1,068,503,040 < 2^31
;;   $vs2 lane  <= 40800 n                              <= 41,779,200
;; so no lane wraps. In i64: b + 32n*a + 32 * 4 * max($prev) + 4 * max($vs2) < 2^38, far below 2^63.
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
    (local $w0 v128) (local $w1 v128)
    (local.set $a (i64.extend_i32_u (i32.and (local.get $adler) (i32.const 0xffff))))
    (local.set $b (i64.extend_i32_u (i32.shr_u (local.get $adler) (i32.const 16))))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (local.set $vecEnd (i32.add (local.get $ptr) (i32.and (local.get $len) (i32.const -32))))
    ;; Weights of the bytes of one step: x[i] counts 32 - i times in b, y[i] 16 - i times.
    (local.set $w0 (v128.const i8x16 32 31 30 29 28 27 26 25 24 23 22 21 20 19 18 17))
    (local.set $w1 (v128.const i8x16 16 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1))
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.ge_u (local.get $ptr) (local.get $vecEnd)))
        (local.set $blockLen
          (select (i32.const 32768) (i32.sub (local.get $vecEnd) (local.get $ptr))
            (i32.gt_u (i32.sub (local.get $vecEnd) (local.get $ptr)) (i32.const 32768))))
        (local.set $blockEnd (i32.add (local.get $ptr) (local.get $blockLen)))
        (local.set $vs1 (v128.const i64x2 0 0))
        (local.set $vs2 (v128.const i64x2 0 0))
        (local.set $prev (v128.const i64x2 0 0))
        (loop $steps
          (local.set $x (v128.load align=1 (local.get $ptr)))
          (local.set $y (v128.load offset=16 align=1 (local.get $ptr)))
          (local.set $prev (i32x4.add (local.get $prev) (local.get $vs1)))
          (local.set $vs1
            (i32x4.add (local.get $vs1)
              (i32x4.extadd_pairwise_i16x8_u
                (i16x8.add
                  (i16x8.extadd_pairwise_i8x16_u (local.get $x))
                  (i16x8.extadd_pairwise_i8x16_u (local.get $y))))))
          (local.set $vs2
            (i32x4.add (local.get $vs2)
              (i32x4.extadd_pairwise_i16x8_u
                (i16x8.add
                  (i16x8.add
                    (i16x8.extmul_low_i8x16_u (local.get $x) (local.get $w0))
                    (i16x8.extmul_high_i8x16_u (local.get $x) (local.get $w0)))
                  (i16x8.add
                    (i16x8.extmul_low_i8x16_u (local.get $y) (local.get $w1))
                    (i16x8.extmul_high_i8x16_u (local.get $y) (local.get $w1)))))))
          (local.set $ptr (i32.add (local.get $ptr) (i32.const 32)))
          (br_if $steps (i32.lt_u (local.get $ptr) (local.get $blockEnd))))
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
