;; wasi-threads: _start blocks in fd_read of stdin (a pipe nobody writes to) while the
;; spawned thread calls proc_exit(5): the program ends with 5 at once (proc_exit needs no
;; lock the reading thread holds). The thread first waits 100 ms so that the read has
;; begun; the outcome is the same if it has not.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))

  (func (export "wasi_thread_start") (param $tid i32) (param $argument i32)
    (drop (memory.atomic.wait32 (i32.const 256) (i32.const 0) (i64.const 100000000)))
    (call $proc_exit (i32.const 5)))

  (func (export "_start")
    (if (i32.le_s (call $thread_spawn (i32.const 0)) (i32.const 0))
      (then (call $proc_exit (i32.const 2))))
    (i32.store (i32.const 32) (i32.const 64))
    (i32.store (i32.const 36) (i32.const 16))
    (drop (call $fd_read (i32.const 0) (i32.const 32) (i32.const 1) (i32.const 48)))
    (call $proc_exit (i32.const 3))))
