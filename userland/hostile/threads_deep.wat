;; wasi-threads, hostile: deep recursion in spawned threads (tests/kernel/threads.sh). Thread 1
;; recurses 20000 calls deep (at least 320 KiB of frames, a return address and a frame
;; pointer each: its stack grows past the first 128 KiB as the main thread's does) and stores
;; the depth it reached; _start waits for it and prints "threads_deep: depth=20000". Thread 2
;; then recurses without end: "call stack exhausted" in a spawned thread ends the program
;; with 134.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))
  (data (i32.const 64) "threads_deep: depth=")

  ;; Recurses `left` more calls (without end when left is negative); returns the depth.
  (func $down (param $left i32) (result i32)
    (if (result i32) (i32.eqz (local.get $left))
      (then (i32.const 0))
      (else (i32.add (call $down (i32.sub (local.get $left) (i32.const 1))) (i32.const 1)))))

  (func (export "wasi_thread_start") (param $tid i32) (param $depth i32)
    (i32.atomic.store (i32.const 256) (call $down (local.get $depth)))
    (drop (memory.atomic.notify (i32.const 256) (i32.const 1))))

  (func (export "_start")
    (local $value i32)
    (local $p i32)
    (drop (call $thread_spawn (i32.const 20000)))
    (loop $wait
      (drop (memory.atomic.wait32 (i32.const 256) (i32.const 0) (i64.const -1)))
      (br_if $wait (i32.eqz (i32.atomic.load (i32.const 256)))))
    (local.set $value (i32.atomic.load (i32.const 256)))
    (local.set $p (i32.const 128))
    (i32.store8 (i32.const 128) (i32.const 10))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $value) (i32.const 10))))
      (local.set $value (i32.div_u (local.get $value) (i32.const 10)))
      (br_if $digit (local.get $value)))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 20))
    (i32.store (i32.const 8) (local.get $p))
    (i32.store (i32.const 12) (i32.sub (i32.const 129) (local.get $p)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 16)))
    (drop (call $thread_spawn (i32.const -1)))
    (loop $forever
      (drop (memory.atomic.wait32 (i32.const 260) (i32.const 0) (i64.const -1)))
      (br $forever))))
