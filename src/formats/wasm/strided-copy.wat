;; Strided copies inside one memory: the transposing copies of a rechunk, where a JavaScript call
;; per run (copyWithin) costs ~40 ns and runs are often 128 bytes. The memory is imported, so one
;; instance serves each buffer a worker's arena hands out (see strided-copy.ts).
(module
  (import "env" "memory" (memory 0))

  ;; Copy n0 × n1 runs of `run` bytes: run (i0, i1) goes from from + i0·fs0 + i1·fs1 to
  ;; to + i0·ts0 + i1·ts1. Source and target runs must not overlap.
  (func (export "copy2d")
    (param $from i32) (param $to i32) (param $run i32)
    (param $n1 i32) (param $fs1 i32) (param $ts1 i32)
    (param $n0 i32) (param $fs0 i32) (param $ts0 i32)
    (local $i0 i32) (local $i1 i32) (local $f i32) (local $t i32) (local $k i32) (local $vec i32)
    ;; Short runs move 16 bytes a step; long ones with memory.copy, whose call costs more than it saves below ~256 bytes.
    (local.set $vec (select (i32.and (local.get $run) (i32.const -16)) (i32.const 0) (i32.lt_u (local.get $run) (i32.const 256))))
    (block $done0
      (loop $outer
        (br_if $done0 (i32.ge_u (local.get $i0) (local.get $n0)))
        (local.set $f (local.get $from))
        (local.set $t (local.get $to))
        (local.set $i1 (i32.const 0))
        (block $done1
          (loop $inner
            (br_if $done1 (i32.ge_u (local.get $i1) (local.get $n1)))
            (local.set $k (i32.const 0))
            (block $vdone
              (loop $vector
                (br_if $vdone (i32.ge_u (local.get $k) (local.get $vec)))
                (v128.store (i32.add (local.get $t) (local.get $k)) (v128.load (i32.add (local.get $f) (local.get $k))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $vector)))
            (if (i32.lt_u (local.get $vec) (local.get $run))
              (then
                (memory.copy
                  (i32.add (local.get $t) (local.get $vec))
                  (i32.add (local.get $f) (local.get $vec))
                  (i32.sub (local.get $run) (local.get $vec)))))
            (local.set $f (i32.add (local.get $f) (local.get $fs1)))
            (local.set $t (i32.add (local.get $t) (local.get $ts1)))
            (local.set $i1 (i32.add (local.get $i1) (i32.const 1)))
            (br $inner)))
        (local.set $from (i32.add (local.get $from) (local.get $fs0)))
        (local.set $to (i32.add (local.get $to) (local.get $ts0)))
        (local.set $i0 (i32.add (local.get $i0) (i32.const 1)))
        (br $outer))))
)
