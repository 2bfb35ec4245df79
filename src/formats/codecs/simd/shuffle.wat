;; blosc's byte shuffle of 4-byte elements with 128-bit SIMD, 16 elements (64 bytes) a step.
;; Compiled by scripts/build-wasm.mjs into shuffle-wasm.ts; used through ../simd-shuffle.ts,
;; which places the bytes in this module's memory (or hands out buffers that live there).
(module
  (memory (export "memory") 1)
  ;; Elements [0, count) from streams `stride` bytes apart from src (byte j of every element in
  ;; stream j) to dst. `count` is a multiple of 16.
  (func (export "unshuffle4") (param $src i32) (param $dst i32) (param $stride i32) (param $count i32)
    (local $i i32) (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $o i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $ablo v128) (local $abhi v128) (local $cdlo v128) (local $cdhi v128)
    (local.set $s1 (i32.add (local.get $src) (local.get $stride)))
    (local.set $s2 (i32.add (local.get $s1) (local.get $stride)))
    (local.set $s3 (i32.add (local.get $s2) (local.get $stride)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $a (v128.load (i32.add (local.get $src) (local.get $i))))
        (local.set $b (v128.load (i32.add (local.get $s1) (local.get $i))))
        (local.set $c (v128.load (i32.add (local.get $s2) (local.get $i))))
        (local.set $d (v128.load (i32.add (local.get $s3) (local.get $i))))
        (local.set $ablo (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $a) (local.get $b)))
        (local.set $abhi (i8x16.shuffle 8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31 (local.get $a) (local.get $b)))
        (local.set $cdlo (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $c) (local.get $d)))
        (local.set $cdhi (i8x16.shuffle 8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31 (local.get $c) (local.get $d)))
        (local.set $o (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))))
        (v128.store offset=0 (local.get $o) (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $ablo) (local.get $cdlo)))
        (v128.store offset=16 (local.get $o) (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $ablo) (local.get $cdlo)))
        (v128.store offset=32 (local.get $o) (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $abhi) (local.get $cdhi)))
        (v128.store offset=48 (local.get $o) (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $abhi) (local.get $cdhi)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))
  ;; The inverse: elements [0, count) at src into streams `stride` bytes apart from dst.
  (func (export "shuffle4") (param $src i32) (param $dst i32) (param $stride i32) (param $count i32)
    (local $i i32) (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $p i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $s1 (i32.add (local.get $dst) (local.get $stride)))
    (local.set $s2 (i32.add (local.get $s1) (local.get $stride)))
    (local.set $s3 (i32.add (local.get $s2) (local.get $stride)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $v0 (v128.load offset=0 (local.get $p)))
        (local.set $v1 (v128.load offset=16 (local.get $p)))
        (local.set $v2 (v128.load offset=32 (local.get $p)))
        (local.set $v3 (v128.load offset=48 (local.get $p)))
        (local.set $t0 (i8x16.shuffle 0 4 8 12 16 20 24 28 1 5 9 13 17 21 25 29 (local.get $v0) (local.get $v1)))
        (local.set $t1 (i8x16.shuffle 2 6 10 14 18 22 26 30 3 7 11 15 19 23 27 31 (local.get $v0) (local.get $v1)))
        (local.set $t2 (i8x16.shuffle 0 4 8 12 16 20 24 28 1 5 9 13 17 21 25 29 (local.get $v2) (local.get $v3)))
        (local.set $t3 (i8x16.shuffle 2 6 10 14 18 22 26 30 3 7 11 15 19 23 27 31 (local.get $v2) (local.get $v3)))
        (v128.store (i32.add (local.get $dst) (local.get $i)) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $s1) (local.get $i)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $s2) (local.get $i)) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
        (v128.store (i32.add (local.get $s3) (local.get $i)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))
)
