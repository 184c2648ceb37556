;; wasi-threads: a producer/consumer queue. 2 producer threads each push 5000 values
;; (producer p pushes p * 5000 + 1 .. p * 5000 + 5000) into a 16-slot ring in the shared
;; memory; 2 consumer threads pop until all 10000 were taken and add up what they got.
;; The ring is guarded by a mutex on wait/notify, and "not empty" / "not full" are
;; condition variables made of a sequence word (wait while it is unchanged; signal:
;; increment and notify every waiter). _start waits for the 4 threads and prints
;;   threads=4
;;   items=<values the consumers took>
;;   total=<their sum>
;; and exits 1 unless items = 10000 and total = 10000 * 10001 / 2, 2 when a spawn failed.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))

  (global $threads i32 (i32.const 4))
  (global $per_producer i32 (i32.const 5000))
  (global $all i32 (i32.const 10000))
  (global $done i32 (i32.const 256))      ;; i32: threads finished
  (global $mutex i32 (i32.const 260))     ;; i32: guards head, tail, taken and the ring
  (global $head i32 (i32.const 264))      ;; i32: values popped
  (global $tail i32 (i32.const 268))      ;; i32: values pushed
  (global $taken i32 (i32.const 272))     ;; i32: values consumers took
  (global $not_empty i32 (i32.const 276)) ;; i32: sequence
  (global $not_full i32 (i32.const 280))  ;; i32: sequence
  (global $items i32 (i32.const 284))     ;; i32: what consumers counted
  (global $total i32 (i32.const 288))     ;; i64: what consumers added up
  (global $ring i32 (i32.const 512))      ;; 16 i32 slots

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

  ;; With the mutex held: releases it, waits for the sequence word to change, retakes it.
  (func $wait_on (param $condition i32)
    (local $sequence i32)
    (local.set $sequence (i32.atomic.load (local.get $condition)))
    (call $unlock (global.get $mutex))
    (drop (memory.atomic.wait32 (local.get $condition) (local.get $sequence) (i64.const -1)))
    (call $lock (global.get $mutex)))

  (func $signal_all (param $condition i32)
    (drop (i32.atomic.rmw.add (local.get $condition) (i32.const 1)))
    (drop (memory.atomic.notify (local.get $condition) (i32.const -1))))

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

  (func $produce (param $producer i32)
    (local $i i32) (local $tail i32)
    (loop $next
      (call $lock (global.get $mutex))
      (block $room
        (loop $full
          (br_if $room (i32.lt_u (i32.sub (i32.load (global.get $tail)) (i32.load (global.get $head)))
                                 (i32.const 16)))
          (call $wait_on (global.get $not_full))
          (br $full)))
      (local.set $tail (i32.load (global.get $tail)))
      (i32.store (i32.add (global.get $ring) (i32.shl (i32.and (local.get $tail) (i32.const 15)) (i32.const 2)))
        (i32.add (i32.mul (local.get $producer) (global.get $per_producer))
                 (i32.add (local.get $i) (i32.const 1))))
      (i32.store (global.get $tail) (i32.add (local.get $tail) (i32.const 1)))
      (call $signal_all (global.get $not_empty))
      (call $unlock (global.get $mutex))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (global.get $per_producer)))))

  (func $consume
    (local $sum i64) (local $count i32) (local $head i32)
    (block $finished
      (loop $next
        (call $lock (global.get $mutex))
        (block $ready
          (loop $empty
            (br_if $ready (i32.ne (i32.load (global.get $head)) (i32.load (global.get $tail))))
            (br_if $ready (i32.ge_u (i32.load (global.get $taken)) (global.get $all)))
            (call $wait_on (global.get $not_empty))
            (br $empty)))
        (if (i32.ge_u (i32.load (global.get $taken)) (global.get $all))
          (then
            (call $unlock (global.get $mutex))
            (br $finished)))
        (local.set $head (i32.load (global.get $head)))
        (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (i32.load
          (i32.add (global.get $ring) (i32.shl (i32.and (local.get $head) (i32.const 15)) (i32.const 2)))))))
        (i32.store (global.get $head) (i32.add (local.get $head) (i32.const 1)))
        (i32.store (global.get $taken) (i32.add (i32.load (global.get $taken)) (i32.const 1)))
        (call $signal_all (global.get $not_full))
        (call $unlock (global.get $mutex))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (br $next)))
    ;; The other consumer may wait for a value that will never come.
    (call $lock (global.get $mutex))
    (call $signal_all (global.get $not_empty))
    (call $unlock (global.get $mutex))
    (drop (i64.atomic.rmw.add (global.get $total) (local.get $sum)))
    (drop (i32.atomic.rmw.add (global.get $items) (local.get $count))))

  (func (export "wasi_thread_start") (param $tid i32) (param $role i32)
    (if (i32.lt_u (local.get $role) (i32.const 2))
      (then (call $produce (local.get $role)))
      (else (call $consume)))
    (call $count_done))

  (func (export "_start")
    (local $items i32) (local $total i64) (local $all i64)
    (call $run_threads)
    (local.set $items (i32.atomic.load (global.get $items)))
    (local.set $total (i64.atomic.load (global.get $total)))
    (call $print (i64.const 0x73646165726874) (i32.const 7) (i64.extend_i32_u (global.get $threads)))
    (call $print (i64.const 0x736d657469) (i32.const 5) (i64.extend_i32_u (local.get $items)))
    (call $print (i64.const 0x6c61746f74) (i32.const 5) (local.get $total))
    (local.set $all (i64.extend_i32_u (global.get $all)))
    (if (i32.or (i32.ne (local.get $items) (global.get $all))
                (i64.ne (local.get $total)
                        (i64.div_u (i64.mul (local.get $all) (i64.add (local.get $all) (i64.const 1))) (i64.const 2))))
      (then (call $proc_exit (i32.const 1))))))
