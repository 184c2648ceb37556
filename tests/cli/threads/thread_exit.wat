;; wasi-threads: the spawned thread calls proc_exit(START_ARG) while _start waits for
;; good: the program ends with that status. Before, _start checks that a thread id is
;; positive and that a module's spawn of a second thread gets a different one.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))

  (func (export "wasi_thread_start") (param $tid i32) (param $status i32)
    (if (local.get $status)
      (then (call $proc_exit (local.get $status)))))

  (func (export "_start")
    (local $first i32) (local $second i32)
    (local.set $first (call $thread_spawn (i32.const 0)))
    (local.set $second (call $thread_spawn (i32.const 0)))
    (if (i32.or (i32.le_s (local.get $first) (i32.const 0))
                (i32.or (i32.le_s (local.get $second) (i32.const 0))
                        (i32.eq (local.get $first) (local.get $second))))
      (then (call $proc_exit (i32.const 3))))
    (drop (call $thread_spawn (i32.const 7)))
    (loop $forever
      (drop (memory.atomic.wait32 (i32.const 256) (i32.const 0) (i64.const -1)))
      (br $forever))))
