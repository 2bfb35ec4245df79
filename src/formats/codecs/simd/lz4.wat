;; The LZ4 block compressor of lz4-encode.ts, step for step (so its blocks are the bytes liblz4's
;; LZ4_compress_fast writes), in WebAssembly: the JavaScript one was the largest cost of writing
;; blosc-lz4 chunks. Memory: the hash table (8 192 slots of 4 bytes) at 0, then the input and the
;; output wherever the caller puts them (lz4-wasm.ts); the input needs 8 readable bytes past its end.
(module
  (memory (export "memory") 1)

  ;; Table entries are positions plus $base, which moves past every earlier call's positions: an
  ;; entry below the call's base reads as position 0, as in liblz4's freshly zeroed table.
  (global $base (mut i32) (i32.const 1))

  ;; The table slot (byte address) of the sequence at address $p: 5 bytes hashed into 12 bits when
  ;; $wide (liblz4's LZ4_hash5 on 64-bit), else 4 bytes into 13 bits (LZ4_hash4, 16-bit table).
  (func $slot (param $p i32) (param $wide i32) (result i32)
    (i32.shl
      (if (result i32) (local.get $wide)
        (then
          (i32.wrap_i64
            (i64.shr_u
              (i64.mul (i64.shl (i64.load (local.get $p)) (i64.const 24)) (i64.const 889523592379))
              (i64.const 52))))
        (else
          (i32.shr_u (i32.mul (i32.load (local.get $p)) (i32.const 2654435761)) (i32.const 19))))
      (i32.const 2)))

  ;; A run length past the 4 bits of a token: 255s, then the rest. Returns the new output position.
  (func $length (param $out i32) (param $len i32) (result i32)
    (block $done
      (loop $more
        (br_if $done (i32.lt_u (local.get $len) (i32.const 255)))
        (i32.store8 (local.get $out) (i32.const 255))
        (local.set $out (i32.add (local.get $out) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 255)))
        (br $more)))
    (i32.store8 (local.get $out) (local.get $len))
    (i32.add (local.get $out) (i32.const 1)))

  ;; Compress $n bytes at $src into at most $olimit bytes at $dst as one LZ4 block; returns the
  ;; compressed length, or 0 when it would not fit. $accel is clamped to [1, 65537] by the caller.
  (func (export "compress") (param $src i32) (param $n i32) (param $dst i32) (param $olimit i32) (param $accel i32) (result i32)
    (local $b i32) (local $wide i32) (local $mflimitPlusOne i32) (local $matchLimit i32)
    (local $anchor i32) (local $op i32) (local $ip i32) (local $forwardIp i32) (local $forwardH i32)
    (local $step i32) (local $searchMatchNb i32) (local $h i32) (local $current i32) (local $candidate i32)
    (local $match i32) (local $token i32) (local $litLength i32) (local $end i32) (local $from i32)
    (local $diff i32) (local $matched i32) (local $matchCode i32) (local $lastRun i32)
    (if (i32.gt_s (global.get $base) (i32.sub (i32.const 0x7fffffff) (local.get $n)))
      (then
        (memory.fill (i32.const 0) (i32.const 0) (i32.const 32768))
        (global.set $base (i32.const 1))))
    (local.set $b (global.get $base))
    (global.set $base (i32.add (global.get $base) (i32.add (local.get $n) (i32.const 1))))
    (local.set $wide (i32.ge_u (local.get $n) (i32.const 65547)))
    (local.set $mflimitPlusOne (i32.sub (local.get $n) (i32.const 11)))
    (local.set $matchLimit (i32.sub (local.get $n) (i32.const 5)))

    (if (i32.ge_s (local.get $n) (i32.const 13))
      (then
        (i32.store (call $slot (local.get $src) (local.get $wide)) (local.get $b))
        (local.set $ip (i32.const 1))
        (local.set $forwardH (call $slot (i32.add (local.get $src) (i32.const 1)) (local.get $wide)))
        (block $searchDone
          (loop $search
            ;; Find a match: probe the table at ip, moving on by a step that grows with failures.
            (local.set $forwardIp (local.get $ip))
            (local.set $step (i32.const 1))
            (local.set $searchMatchNb (i32.shl (local.get $accel) (i32.const 6)))
            (block $found
              (loop $probe
                (local.set $h (local.get $forwardH))
                (local.set $current (local.get $forwardIp))
                (local.set $candidate (i32.sub (i32.load (local.get $h)) (local.get $b)))
                (local.set $candidate (select (local.get $candidate) (i32.const 0) (i32.gt_s (local.get $candidate) (i32.const 0))))
                (local.set $ip (local.get $forwardIp))
                (local.set $forwardIp (i32.add (local.get $forwardIp) (local.get $step)))
                (local.set $step (i32.shr_s (local.get $searchMatchNb) (i32.const 6)))
                (local.set $searchMatchNb (i32.add (local.get $searchMatchNb) (i32.const 1)))
                (br_if $searchDone (i32.gt_s (local.get $forwardIp) (local.get $mflimitPlusOne)))
                (local.set $forwardH (call $slot (i32.add (local.get $src) (local.get $forwardIp)) (local.get $wide)))
                (i32.store (local.get $h) (i32.add (local.get $current) (local.get $b)))
                (br_if $probe (i32.lt_s (i32.add (local.get $candidate) (i32.const 65535)) (local.get $current)))
                (br_if $found
                  (i32.eq
                    (i32.load (i32.add (local.get $src) (local.get $candidate)))
                    (i32.load (i32.add (local.get $src) (local.get $ip)))))
                (br $probe)))
            (local.set $match (local.get $candidate))

            ;; Extend the match backwards over equal bytes.
            (block $backDone
              (loop $back
                (br_if $backDone (i32.le_s (local.get $ip) (local.get $anchor)))
                (br_if $backDone (i32.le_s (local.get $match) (i32.const 0)))
                (br_if $backDone
                  (i32.ne
                    (i32.load8_u (i32.sub (i32.add (local.get $src) (local.get $ip)) (i32.const 1)))
                    (i32.load8_u (i32.sub (i32.add (local.get $src) (local.get $match)) (i32.const 1)))))
                (local.set $ip (i32.sub (local.get $ip) (i32.const 1)))
                (local.set $match (i32.sub (local.get $match) (i32.const 1)))
                (br $back)))

            ;; The literals before it.
            (local.set $litLength (i32.sub (local.get $ip) (local.get $anchor)))
            (local.set $token (local.get $op))
            (local.set $op (i32.add (local.get $op) (i32.const 1)))
            (if (i32.gt_s
                  (i32.add (i32.add (local.get $op) (local.get $litLength))
                           (i32.add (i32.const 8) (i32.div_u (local.get $litLength) (i32.const 255))))
                  (local.get $olimit))
              (then (return (i32.const 0))))
            (if (i32.ge_s (local.get $litLength) (i32.const 15))
              (then
                (i32.store8 (i32.add (local.get $dst) (local.get $token)) (i32.const 240))
                (local.set $op
                  (i32.sub
                    (call $length (i32.add (local.get $dst) (local.get $op)) (i32.sub (local.get $litLength) (i32.const 15)))
                    (local.get $dst))))
              (else
                (i32.store8 (i32.add (local.get $dst) (local.get $token)) (i32.shl (local.get $litLength) (i32.const 4)))))
            (memory.copy
              (i32.add (local.get $dst) (local.get $op))
              (i32.add (local.get $src) (local.get $anchor))
              (local.get $litLength))
            (local.set $op (i32.add (local.get $op) (local.get $litLength)))

            ;; The match, and as long as the next position matches too, matches with no literals between.
            (block $matchesDone
              (loop $nextMatch
                (i32.store16 (i32.add (local.get $dst) (local.get $op)) (i32.sub (local.get $ip) (local.get $match)))
                (local.set $op (i32.add (local.get $op) (i32.const 2)))
                (local.set $end (i32.add (local.get $ip) (i32.const 4)))
                (local.set $from (i32.add (local.get $match) (i32.const 4)))
                (local.set $matched (i32.const 0))
                (block $wordsDone
                  (loop $words
                    (br_if $wordsDone (i32.ge_s (local.get $end) (i32.sub (local.get $matchLimit) (i32.const 3))))
                    (local.set $diff
                      (i32.xor
                        (i32.load (i32.add (local.get $src) (local.get $end)))
                        (i32.load (i32.add (local.get $src) (local.get $from)))))
                    (if (local.get $diff)
                      (then
                        (local.set $end (i32.add (local.get $end) (i32.shr_u (i32.ctz (local.get $diff)) (i32.const 3))))
                        (local.set $matched (i32.const 1))
                        (br $wordsDone)))
                    (local.set $end (i32.add (local.get $end) (i32.const 4)))
                    (local.set $from (i32.add (local.get $from) (i32.const 4)))
                    (br $words)))
                (if (i32.eqz (local.get $matched))
                  (then
                    (block $bytesDone
                      (loop $bytes
                        (br_if $bytesDone (i32.ge_s (local.get $end) (local.get $matchLimit)))
                        (br_if $bytesDone
                          (i32.ne
                            (i32.load8_u (i32.add (local.get $src) (local.get $end)))
                            (i32.load8_u (i32.add (local.get $src) (local.get $from)))))
                        (local.set $end (i32.add (local.get $end) (i32.const 1)))
                        (local.set $from (i32.add (local.get $from) (i32.const 1)))
                        (br $bytes)))))
                (local.set $matchCode (i32.sub (i32.sub (local.get $end) (local.get $ip)) (i32.const 4)))
                (local.set $ip (local.get $end))
                (if (i32.gt_s
                      (i32.add (i32.add (local.get $op) (i32.const 6))
                               (i32.div_u (i32.add (local.get $matchCode) (i32.const 240)) (i32.const 255)))
                      (local.get $olimit))
                  (then (return (i32.const 0))))
                (if (i32.ge_s (local.get $matchCode) (i32.const 15))
                  (then
                    (i32.store8 (i32.add (local.get $dst) (local.get $token))
                      (i32.add (i32.load8_u (i32.add (local.get $dst) (local.get $token))) (i32.const 15)))
                    (local.set $op
                      (i32.sub
                        (call $length (i32.add (local.get $dst) (local.get $op)) (i32.sub (local.get $matchCode) (i32.const 15)))
                        (local.get $dst))))
                  (else
                    (i32.store8 (i32.add (local.get $dst) (local.get $token))
                      (i32.add (i32.load8_u (i32.add (local.get $dst) (local.get $token))) (local.get $matchCode)))))
                (local.set $anchor (local.get $ip))
                (br_if $searchDone (i32.ge_s (local.get $ip) (local.get $mflimitPlusOne)))

                (i32.store
                  (call $slot (i32.sub (i32.add (local.get $src) (local.get $ip)) (i32.const 2)) (local.get $wide))
                  (i32.add (i32.sub (local.get $ip) (i32.const 2)) (local.get $b)))
                (local.set $h (call $slot (i32.add (local.get $src) (local.get $ip)) (local.get $wide)))
                (local.set $candidate (i32.sub (i32.load (local.get $h)) (local.get $b)))
                (local.set $candidate (select (local.get $candidate) (i32.const 0) (i32.gt_s (local.get $candidate) (i32.const 0))))
                (i32.store (local.get $h) (i32.add (local.get $ip) (local.get $b)))
                (br_if $matchesDone (i32.lt_s (i32.add (local.get $candidate) (i32.const 65535)) (local.get $ip)))
                (br_if $matchesDone
                  (i32.ne
                    (i32.load (i32.add (local.get $src) (local.get $candidate)))
                    (i32.load (i32.add (local.get $src) (local.get $ip)))))
                (local.set $match (local.get $candidate))
                (local.set $token (local.get $op))
                (i32.store8 (i32.add (local.get $dst) (local.get $token)) (i32.const 0))
                (local.set $op (i32.add (local.get $op) (i32.const 1)))
                (br $nextMatch)))
            (local.set $ip (i32.add (local.get $ip) (i32.const 1)))
            (local.set $forwardH (call $slot (i32.add (local.get $src) (local.get $ip)) (local.get $wide)))
            (br $search)))))

    ;; The last literals: everything after the last match.
    (local.set $lastRun (i32.sub (local.get $n) (local.get $anchor)))
    (if (i32.gt_s
          (i32.add (i32.add (local.get $op) (local.get $lastRun))
                   (i32.add (i32.const 1) (i32.div_u (i32.add (local.get $lastRun) (i32.const 240)) (i32.const 255))))
          (local.get $olimit))
      (then (return (i32.const 0))))
    (if (i32.ge_s (local.get $lastRun) (i32.const 15))
      (then
        (i32.store8 (i32.add (local.get $dst) (local.get $op)) (i32.const 240))
        (local.set $op
          (i32.sub
            (call $length (i32.add (i32.add (local.get $dst) (local.get $op)) (i32.const 1)) (i32.sub (local.get $lastRun) (i32.const 15)))
            (local.get $dst))))
      (else
        (i32.store8 (i32.add (local.get $dst) (local.get $op)) (i32.shl (local.get $lastRun) (i32.const 4)))
        (local.set $op (i32.add (local.get $op) (i32.const 1)))))
    (memory.copy
      (i32.add (local.get $dst) (local.get $op))
      (i32.add (local.get $src) (local.get $anchor))
      (local.get $lastRun))
    (i32.add (local.get $op) (local.get $lastRun)))
)
