;; wasi-threads, hostile: the spawned thread does some work and then traps (unreachable)
;; while _start waits for good (memory.atomic.wait32, no timeout): the trap ends the
;; whole program with the trap's error.
(module
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))

  (func $fail (param $depth i32)
    (if (local.get $depth)
      (then (call $fail (i32.sub (local.get $depth) (i32.const 1))))
      (else unreachable)))

  (func (export "wasi_thread_start") (param $tid i32) (param $depth i32)
    (call $fail (local.get $depth)))

  (func (export "_start")
    (drop (call $thread_spawn (i32.const 3)))
    (loop $forever
      (drop (memory.atomic.wait32 (i32.const 256) (i32.const 0) (i64.const -1)))
      (br $forever))))
