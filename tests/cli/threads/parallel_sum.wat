;; wasi-threads: a parallel sum. _start fills 8 x 16384 words of the shared memory (a hash
;; of each index), spawns 8 threads (thread-spawn), each of which adds up its slice and
;; adds it to a shared i64 with i64.atomic.rmw.add, then counts itself done and notifies;
;; _start waits on the count (memory.atomic.wait32), sums the whole array itself and prints
;;   threads=8
;;   sum=<the threads' total>
;;   expected=<its own total>
;; and exits 1 when they differ, 2 when a spawn failed.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 16 16 shared))

  (global $threads i32 (i32.const 8))
  (global $per_thread i32 (i32.const 16384))
  (global $done i32 (i32.const 256))   ;; i32: threads finished
  (global $total i32 (i32.const 264))  ;; i64: their sums
  (global $array i32 (i32.const 4096))

  ;; Writes LABEL (its LENGTH bytes, little-endian in an i64), '=', VALUE in decimal and a
  ;; newline on stdout. Main thread only: scratch at 32..127.
  (func $print (param $label i64) (param $length i32) (param $value i64)
    (local $p i32)
    (i64.store (i32.const 64) (local.get $label))
    (i32.store8 (i32.add (i32.const 64) (local.get $length)) (i32.const 61))
    (local.set $p (i32.const 120))
    (i32.store8 (i32.const 120) (i32.const 10))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $value) (i64.const 10)))))
      (local.set $value (i64.div_u (local.get $value) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $value) (i64.const 0))))
    (i32.store (i32.const 32) (i32.const 64))
    (i32.store (i32.const 36) (i32.add (local.get $length) (i32.const 1)))
    (i32.store (i32.const 40) (local.get $p))
    (i32.store (i32.const 44) (i32.sub (i32.const 121) (local.get $p)))
    (drop (call $fd_write (i32.const 1) (i32.const 32) (i32.const 2) (i32.const 48))))

  ;; The top half of a multiplicative hash of the index.
  (func $value (param $i i32) (result i32)
    (i32.shr_u (i32.mul (local.get $i) (i32.const 0x9E3779B1)) (i32.const 16)))

  (func $sum_range (param $first i32) (param $count i32) (result i64)
    (local $sum i64) (local $address i32) (local $end i32)
    (local.set $address (i32.add (global.get $array) (i32.shl (local.get $first) (i32.const 2))))
    (local.set $end (i32.add (local.get $address) (i32.shl (local.get $count) (i32.const 2))))
    (block $out
      (loop $next
        (br_if $out (i32.ge_u (local.get $address) (local.get $end)))
        (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (i32.load (local.get $address)))))
        (local.set $address (i32.add (local.get $address) (i32.const 4)))
        (br $next)))
    (local.get $sum))

  (func (export "wasi_thread_start") (param $tid i32) (param $slice i32)
    (drop (i64.atomic.rmw.add (global.get $total)
      (call $sum_range (i32.mul (local.get $slice) (global.get $per_thread)) (global.get $per_thread))))
    (drop (i32.atomic.rmw.add (global.get $done) (i32.const 1)))
    (drop (memory.atomic.notify (global.get $done) (i32.const 1))))

  (func (export "_start")
    (local $i i32) (local $seen i32) (local $expected i64) (local $sum i64)
    (loop $fill
      (i32.store (i32.add (global.get $array) (i32.shl (local.get $i) (i32.const 2)))
                 (call $value (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.mul (global.get $threads) (global.get $per_thread)))))
    (local.set $i (i32.const 0))
    (loop $spawn
      (if (i32.le_s (call $thread_spawn (local.get $i)) (i32.const 0))
        (then (call $proc_exit (i32.const 2))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $spawn (i32.lt_u (local.get $i) (global.get $threads))))
    (loop $wait
      (local.set $seen (i32.atomic.load (global.get $done)))
      (if (i32.lt_u (local.get $seen) (global.get $threads))
        (then
          (drop (memory.atomic.wait32 (global.get $done) (local.get $seen) (i64.const -1)))
          (br $wait))))
    (local.set $sum (i64.atomic.load (global.get $total)))
    (local.set $expected
      (call $sum_range (i32.const 0) (i32.mul (global.get $threads) (global.get $per_thread))))
    (call $print (i64.const 0x73646165726874) (i32.const 7) (i64.extend_i32_u (global.get $threads)))
    (call $print (i64.const 0x6d7573) (i32.const 3) (local.get $sum))
    (call $print (i64.const 0x6465746365707865) (i32.const 8) (local.get $expected))
    (if (i64.ne (local.get $sum) (local.get $expected))
      (then (call $proc_exit (i32.const 1))))))
