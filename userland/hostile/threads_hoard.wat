;; wasi-threads, hostile: hoards threads for good. _start spawns threads that block in
;; memory.atomic.wait32 with no timeout until thread-spawn refuses one (at most 100 tries),
;; prints "threads_hoard: spawned=N refused=E" (E: minus the refusal's result, 0 when none
;; was refused) 500 ms later, and blocks itself. Several at once meet the system's bound on spawned threads
;; (kernel/proc/process_threads.h, kMaxSystemThreads) before their own (tests/kernel/threads.sh).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))
  (data (i32.const 64) "threads_hoard: spawned=")
  (data (i32.const 128) " refused=")

  (func (export "wasi_thread_start") (param $tid i32) (param $unused i32)
    (loop $wait
      (drop (memory.atomic.wait32 (i32.const 256) (i32.const 0) (i64.const -1)))
      (br $wait)))

  ;; Writes VALUE in decimal to the bytes before END; returns where it begins.
  (func $digits (param $value i32) (param $end i32) (result i32)
    (loop $digit
      (local.set $end (i32.sub (local.get $end) (i32.const 1)))
      (i32.store8 (local.get $end) (i32.add (i32.const 48) (i32.rem_u (local.get $value) (i32.const 10))))
      (local.set $value (i32.div_u (local.get $value) (i32.const 10)))
      (br_if $digit (local.get $value)))
    (local.get $end))

  ;; One iovec at INDEX of the list at 0.
  (func $iovec (param $index i32) (param $base i32) (param $length i32)
    (i32.store (i32.shl (local.get $index) (i32.const 3)) (local.get $base))
    (i32.store (i32.add (i32.shl (local.get $index) (i32.const 3)) (i32.const 4)) (local.get $length)))

  (func (export "_start")
    (local $tries i32)
    (local $spawned i32)
    (local $result i32)
    (local $refused i32)
    (block $done
      (loop $spawn
        (local.set $result (call $thread_spawn (i32.const 0)))
        (if (i32.lt_s (local.get $result) (i32.const 0))
          (then
            (local.set $refused (i32.sub (i32.const 0) (local.get $result)))
            (br $done)))
        (local.set $spawned (i32.add (local.get $spawned) (i32.const 1)))
        (local.set $tries (i32.add (local.get $tries) (i32.const 1)))
        (br_if $spawn (i32.lt_u (local.get $tries) (i32.const 100)))))
    ;; 500 ms first (a wait that times out), so that the line does not come while the console
    ;; still echoes the next command; then the line in one write
    (drop (memory.atomic.wait32 (i32.const 300) (i32.const 0) (i64.const 500000000)))
    (call $iovec (i32.const 0) (i32.const 64) (i32.const 23))
    (local.set $result (call $digits (local.get $spawned) (i32.const 208)))
    (call $iovec (i32.const 1) (local.get $result) (i32.sub (i32.const 208) (local.get $result)))
    (call $iovec (i32.const 2) (i32.const 128) (i32.const 9))
    (local.set $result (call $digits (local.get $refused) (i32.const 240)))
    (call $iovec (i32.const 3) (local.get $result) (i32.sub (i32.const 240) (local.get $result)))
    (i32.store8 (i32.const 240) (i32.const 10))
    (call $iovec (i32.const 4) (i32.const 240) (i32.const 1))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 5) (i32.const 48)))
    (loop $wait
      (drop (memory.atomic.wait32 (i32.const 260) (i32.const 0) (i64.const -1)))
      (br $wait))))
