;; wasi-threads, hostile: a trap report that can never be written (tests/kernel/threads.sh).
;; _start makes a pipe, moves its write end to fd 2 (the read end stays open, and nobody reads
;; it) and fills it: 64 KiB, the pipe's whole buffer, go in at once. 500 ms later it prints
;;   threads_stderr_full: stderr is a full pipe
;; (or "... setup failed" when a call did not do what it should), spawns a thread that traps,
;; and blocks. The thread's report ("error: in thread 1: ...") then blocks on the full pipe for
;; good, and the process can only end by a kill from outside, which must end that thread too.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $fd_renumber (param i32 i32) (result i32)))
  (import "wasmkern" "pipe" (func $pipe (param i32) (result i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 2 2 shared))
  ;; 0: an iovec; 8: bytes written; 16, 20: the pipe's ends; 256, 260: wait words
  (data (i32.const 1024) "threads_stderr_full: stderr is a full pipe\n")
  (data (i32.const 1088) "threads_stderr_full: setup failed\n")

  (func (export "wasi_thread_start") (param $tid i32) (param $unused i32)
    unreachable)

  (func (export "_start")
    (local $ok i32)
    (local.set $ok (i32.eqz (call $pipe (i32.const 16))))
    (if (local.get $ok)
      (then (local.set $ok (i32.eqz (call $fd_renumber (i32.load (i32.const 20)) (i32.const 2))))))
    ;; the upper 64 KiB of memory, all at once: the buffer takes it without blocking
    (if (local.get $ok)
      (then
        (i32.store (i32.const 0) (i32.const 65536))
        (i32.store (i32.const 4) (i32.const 65536))
        (local.set $ok (i32.and
          (i32.eqz (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
          (i32.eq (i32.load (i32.const 8)) (i32.const 65536))))))
    ;; 500 ms first (a wait that times out), so that the line does not come while the console
    ;; still echoes the next command
    (drop (memory.atomic.wait32 (i32.const 300) (i32.const 0) (i64.const 500000000)))
    (if (local.get $ok)
      (then
        (i32.store (i32.const 0) (i32.const 1024))
        (i32.store (i32.const 4) (i32.const 43)))
      (else
        (i32.store (i32.const 0) (i32.const 1088))
        (i32.store (i32.const 4) (i32.const 34))))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $thread_spawn (i32.const 0)))
    (loop $wait
      (drop (memory.atomic.wait32 (i32.const 260) (i32.const 0) (i64.const -1)))
      (br $wait))))
