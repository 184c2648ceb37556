;; wasi-threads, hostile: a process whose threads never end on their own, for a kill from the
;; shell (tests/kernel/threads.sh). _start spawns 2 threads spinning in wasm code (atomic adds
;; in a loop), 2 blocked in memory.atomic.wait32 with no timeout, then after 500 ms prints
;; "threads_forever: N threads started" and spawns one more that sleeps an hour in
;; poll_oneoff (holding the WASI call lock, so any other thread's call would wait for it),
;; and blocks in a wait of its own. The shared memory is 64 pages (4 MiB), touched, so that a
;; leak of it on the kill shows in the free frames.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 64 64 shared))
  (data (i32.const 16) "threads_forever: 0 threads started\n")

  ;; start_arg 0, 1: spin; 2, 3: wait; 4: sleep in poll_oneoff (scratch at 1024.., its own).
  (func (export "wasi_thread_start") (param $tid i32) (param $role i32)
    (if (i32.lt_u (local.get $role) (i32.const 2))
      (then
        (loop $spin
          (drop (i32.atomic.rmw.add (i32.add (i32.const 512) (i32.shl (local.get $role) (i32.const 2))) (i32.const 1)))
          (br $spin))))
    (if (i32.eq (local.get $role) (i32.const 4))
      (then
        ;; one clock subscription (48 bytes at 1024): tag 0, clock 1 (monotonic), 1 hour
        (i64.store (i32.const 1024) (i64.const 0))
        (i32.store8 (i32.const 1032) (i32.const 0))
        (i32.store (i32.const 1040) (i32.const 1))
        (i64.store (i32.const 1048) (i64.const 3600000000000))
        (i64.store (i32.const 1056) (i64.const 0))
        (i32.store16 (i32.const 1064) (i32.const 0))
        (drop (call $poll_oneoff (i32.const 1024) (i32.const 1088) (i32.const 1) (i32.const 1120)))))
    (loop $wait
      (drop (memory.atomic.wait32 (i32.const 256) (i32.const 0) (i64.const -1)))
      (br $wait)))

  (func (export "_start")
    (local $page i32)
    (local $role i32)
    (local $started i32)
    (loop $touch
      (i32.store (i32.add (i32.mul (local.get $page) (i32.const 65536)) (i32.const 4096)) (i32.const 1))
      (local.set $page (i32.add (local.get $page) (i32.const 1)))
      (br_if $touch (i32.lt_u (local.get $page) (i32.const 64))))
    (loop $spawn
      (if (i32.gt_s (call $thread_spawn (local.get $role)) (i32.const 0))
        (then (local.set $started (i32.add (local.get $started) (i32.const 1)))))
      (local.set $role (i32.add (local.get $role) (i32.const 1)))
      (br_if $spawn (i32.lt_u (local.get $role) (i32.const 4))))
    ;; 500 ms first (a wait that times out), so that the line does not come while the console
    ;; still echoes the next command (tests/kernel/threads.sh types it right after the spawn)
    (drop (memory.atomic.wait32 (i32.const 300) (i32.const 0) (i64.const 500000000)))
    ;; the count's digit at 33 ("threads_forever: " is 17 bytes at 16)
    (i32.store8 (i32.const 33) (i32.add (i32.const 48) (local.get $started)))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 35))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $thread_spawn (i32.const 4)))
    (loop $wait
      (drop (memory.atomic.wait32 (i32.const 260) (i32.const 0) (i64.const -1)))
      (br $wait))))
