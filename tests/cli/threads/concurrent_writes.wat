;; wasi-threads: WASI calls from several threads at once. 4 threads each write 500 lines
;; "thread K\n" (K = its start_arg, 0..3) with fd_write, one call per line, from a buffer of
;; their own; _start waits for them (exit 2 when a spawn failed, 1 when a write failed).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))

  (global $threads i32 (i32.const 4))
  (global $lines i32 (i32.const 500))
  (global $done i32 (i32.const 256))   ;; i32: threads finished
  (global $failed i32 (i32.const 260)) ;; i32: failed writes

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

  (func (export "wasi_thread_start") (param $tid i32) (param $k i32)
    (local $base i32) (local $i i32)
    ;; Thread K's area: 1024 + 64 K: "thread K\n" at +0, the iovec at +16, nwritten at +24.
    (local.set $base (i32.add (i32.const 1024) (i32.shl (local.get $k) (i32.const 6))))
    (i64.store (local.get $base) (i64.const 0x2020646165726874)) ;; "thread  "
    (i32.store8 (i32.add (local.get $base) (i32.const 7)) (i32.add (i32.const 48) (local.get $k)))
    (i32.store8 (i32.add (local.get $base) (i32.const 8)) (i32.const 10))
    (i32.store (i32.add (local.get $base) (i32.const 16)) (local.get $base))
    (i32.store (i32.add (local.get $base) (i32.const 20)) (i32.const 9))
    (loop $line
      (if (call $fd_write (i32.const 1) (i32.add (local.get $base) (i32.const 16)) (i32.const 1)
                          (i32.add (local.get $base) (i32.const 24)))
        (then (drop (i32.atomic.rmw.add (global.get $failed) (i32.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $line (i32.lt_u (local.get $i) (global.get $lines))))
    (call $count_done))

  (func (export "_start")
    (call $run_threads)
    (if (i32.atomic.load (global.get $failed))
      (then (call $proc_exit (i32.const 1))))))
