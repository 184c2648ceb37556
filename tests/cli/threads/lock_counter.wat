;; wasi-threads: a lock built on memory.atomic.wait32/notify protecting a shared counter.
;; 4 threads meet at a start barrier, then each adds 1 to a plain (non-atomic) i32 in the
;; shared memory 200000 times, each increment a load and a store inside the lock. _start
;; waits for them and prints
;;   threads=4
;;   iters=200000
;;   counter=<the counter>
;; and exits 1 when the counter is not threads * iters (a lost update), 2 when a spawn
;; failed.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))

  (global $threads i32 (i32.const 4))
  (global $iterations i32 (i32.const 200000))
  (global $done i32 (i32.const 256))    ;; i32: threads finished
  (global $mutex i32 (i32.const 260))   ;; i32: the lock word
  (global $counter i32 (i32.const 264)) ;; i32: what the lock protects
  (global $ready i32 (i32.const 268))   ;; i32: threads at the start barrier

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

  ;; A mutex on wait/notify (0 free, 1 held, 2 held with waiters): take it with a
  ;; compare-exchange 0 -> 1; when held, mark it 2 and wait while it stays 2. Release:
  ;; decrement; when it was 2, free it and wake one waiter.
  (func $lock (param $word i32)
    (local $c i32)
    (local.set $c (i32.atomic.rmw.cmpxchg (local.get $word) (i32.const 0) (i32.const 1)))
    (if (local.get $c)
      (then
        (if (i32.ne (local.get $c) (i32.const 2))
          (then (local.set $c (i32.atomic.rmw.xchg (local.get $word) (i32.const 2)))))
        (block $taken
          (loop $retry
            (br_if $taken (i32.eqz (local.get $c)))
            (drop (memory.atomic.wait32 (local.get $word) (i32.const 2) (i64.const -1)))
            (local.set $c (i32.atomic.rmw.xchg (local.get $word) (i32.const 2)))
            (br $retry))))))

  (func $unlock (param $word i32)
    (if (i32.ne (i32.atomic.rmw.sub (local.get $word) (i32.const 1)) (i32.const 1))
      (then
        (i32.atomic.store (local.get $word) (i32.const 0))
        (drop (memory.atomic.notify (local.get $word) (i32.const 1))))))

  ;; Spawns $threads threads (start_arg 0, 1, ...; exit 2 when one fails), then waits
  ;; until each has counted itself in $done.
  (func $run_threads
    (local $i i32) (local $seen i32)
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
          (br $wait)))))

  (func $count_done
    (drop (i32.atomic.rmw.add (global.get $done) (i32.const 1)))
    (drop (memory.atomic.notify (global.get $done) (i32.const 1))))

  ;; A start barrier: every thread waits until all have arrived, so that their loops
  ;; overlap instead of running one after the other while the next is being spawned.
  (func $arrive
    (local $seen i32)
    (drop (i32.atomic.rmw.add (global.get $ready) (i32.const 1)))
    (drop (memory.atomic.notify (global.get $ready) (i32.const -1)))
    (loop $wait
      (local.set $seen (i32.atomic.load (global.get $ready)))
      (if (i32.lt_u (local.get $seen) (global.get $threads))
        (then
          (drop (memory.atomic.wait32 (global.get $ready) (local.get $seen) (i64.const -1)))
          (br $wait)))))

  (func (export "wasi_thread_start") (param $tid i32) (param $index i32)
    (local $i i32)
    (call $arrive)
    (loop $increment
      (call $lock (global.get $mutex))
      (i32.store (global.get $counter) (i32.add (i32.load (global.get $counter)) (i32.const 1)))
      (call $unlock (global.get $mutex))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $increment (i32.lt_u (local.get $i) (global.get $iterations))))
    (call $count_done))

  (func (export "_start")
    (local $counter i32)
    (call $run_threads)
    (local.set $counter (i32.atomic.load (global.get $counter)))
    (call $print (i64.const 0x73646165726874) (i32.const 7) (i64.extend_i32_u (global.get $threads)))
    (call $print (i64.const 0x7372657469) (i32.const 5) (i64.extend_i32_u (global.get $iterations)))
    (call $print (i64.const 0x7265746e756f63) (i32.const 7) (i64.extend_i32_u (local.get $counter)))
    (if (i32.ne (local.get $counter) (i32.mul (global.get $threads) (global.get $iterations)))
      (then (call $proc_exit (i32.const 1))))))
