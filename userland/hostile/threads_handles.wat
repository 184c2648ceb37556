;; wasi-threads with the wasmkern imports (tests/kernel/threads.sh): each spawned thread's
;; instance links `wasmkern` as the main one does, and the threads share the process's handle
;; table. 4 threads each create and close an event 200 times, then create one more and keep
;; it; _start waits for them, lists its handles and prints
;;   threads_handles: handles=<the handles it holds> failures=<calls that did not return 0>
;; (4 and 0 expected: the calls of the threads, serialised by the call lock, lost no handle).
;; Each thread also tries to offer a direct call, which only the main thread may do: it must
;; get notsup (58), or it counts as a failure.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasmkern" "event_create" (func $event_create (param i32) (result i32)))
  (import "wasmkern" "handle_close" (func $handle_close (param i32) (result i32)))
  (import "wasmkern" "handles" (func $handles (param i32 i32 i32) (result i32)))
  (import "wasmkern" "call_offer" (func $call_offer (param i32 i32) (result i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))
  (data (i32.const 64) "threads_handles: handles=")
  (data (i32.const 96) " failures=")
  ;; 256: threads done; 260: failures; 512 + 16 * K: thread K's scratch

  (func $check (param $errno i32)
    (if (local.get $errno)
      (then (drop (i32.atomic.rmw.add (i32.const 260) (i32.const 1))))))

  (func (export "wasi_thread_start") (param $tid i32) (param $k i32)
    (local $out i32)
    (local $i i32)
    (local.set $out (i32.add (i32.const 512) (i32.shl (local.get $k) (i32.const 4))))
    (loop $again
      (call $check (call $event_create (local.get $out)))
      (call $check (call $handle_close (i32.load (local.get $out))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 200))))
    (call $check (call $event_create (local.get $out)))
    (call $check (i32.ne (call $call_offer (i32.const 0) (i32.add (local.get $out) (i32.const 4))) (i32.const 58)))
    (drop (i32.atomic.rmw.add (i32.const 256) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 256) (i32.const 1))))

  ;; Writes VALUE in decimal to the bytes before END; returns where it begins.
  (func $digits (param $value i32) (param $end i32) (result i32)
    (loop $digit
      (local.set $end (i32.sub (local.get $end) (i32.const 1)))
      (i32.store8 (local.get $end) (i32.add (i32.const 48) (i32.rem_u (local.get $value) (i32.const 10))))
      (local.set $value (i32.div_u (local.get $value) (i32.const 10)))
      (br_if $digit (local.get $value)))
    (local.get $end))

  (func (export "_start")
    (local $k i32)
    (local $done i32)
    (local $p i32)
    (loop $spawn
      (if (i32.le_s (call $thread_spawn (local.get $k)) (i32.const 0))
        (then (drop (i32.atomic.rmw.add (i32.const 260) (i32.const 1)))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $spawn (i32.lt_u (local.get $k) (i32.const 4))))
    (loop $wait
      (local.set $done (i32.atomic.load (i32.const 256)))
      (if (i32.lt_u (local.get $done) (i32.const 4))
        (then
          (drop (memory.atomic.wait32 (i32.const 256) (local.get $done) (i64.const -1)))
          (br $wait))))
    ;; 16 records of 16 bytes at 1024; the count at 8
    (call $check (call $handles (i32.const 1024) (i32.const 256) (i32.const 8)))
    (i32.store (i32.const 16) (i32.const 64))
    (i32.store (i32.const 20) (i32.const 25))
    (local.set $p (call $digits (i32.load (i32.const 8)) (i32.const 160)))
    (i32.store (i32.const 24) (local.get $p))
    (i32.store (i32.const 28) (i32.sub (i32.const 160) (local.get $p)))
    (i32.store (i32.const 32) (i32.const 96))
    (i32.store (i32.const 36) (i32.const 10))
    (local.set $p (call $digits (i32.atomic.load (i32.const 260)) (i32.const 192)))
    (i32.store (i32.const 40) (local.get $p))
    (i32.store (i32.const 44) (i32.sub (i32.const 192) (local.get $p)))
    (i32.store8 (i32.const 192) (i32.const 10))
    (i32.store (i32.const 48) (i32.const 192))
    (i32.store (i32.const 52) (i32.const 1))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 5) (i32.const 12)))))
