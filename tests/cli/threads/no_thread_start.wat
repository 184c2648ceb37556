;; wasi-threads: thread-spawn in a module that exports no wasi_thread_start fails with
;; a negative result (no thread runs); _start exits with minus that result.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))

  (func (export "_start")
    (call $proc_exit (i32.sub (i32.const 0) (call $thread_spawn (i32.const 0))))))
