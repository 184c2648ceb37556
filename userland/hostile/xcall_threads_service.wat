;; A wasi-threads service reached by direct calls whose spawned thread holds its WASI call
;; lock for good (tests/kernel/xcall-service.sh, xcall_client). Handed one channel end at
;; spawn, _start offers its one function, sends the call handle on the channel ("call"),
;; closes the channel, spawns a thread that sleeps an hour in poll_oneoff (holding the call
;; lock, as every WASI call of a threaded process does) and serves calls until no call handle
;; of it is left; then it returns (status 0; the sleeping thread is killed with the process).
;; The function writes a line to stdout: a WASI call, so a client running it waits for the
;; call lock, until it is killed.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasmkern" "handles" (func $handles (param i32 i32 i32) (result i32)))
  (import "wasmkern" "handle_close" (func $handle_close (param i32) (result i32)))
  (import "wasmkern" "call_offer" (func $call_offer (param i32 i32) (result i32)))
  (import "wasmkern" "channel_write" (func $channel_write (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasmkern" "call_serve" (func $call_serve (result i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))
  (table 1 funcref)
  (elem (i32.const 0) $greet)
  ;; 0: iovec; 8: count; 16: the grant (call handle, rights); 1024: handle records;
  ;; 2048: the sleeping thread's subscription and event
  (data (i32.const 64) "call")
  (data (i32.const 128) "xcall_threads_service: the call ran\n")

  ;; Offered: runs on the caller's thread, and its fd_write takes this process's call lock.
  (func $greet (result i32)
    (i32.store (i32.const 512) (i32.const 128))
    (i32.store (i32.const 516) (i32.const 36))
    (call $fd_write (i32.const 1) (i32.const 512) (i32.const 1) (i32.const 520)))

  ;; One clock subscription (48 bytes at 2048): tag 0, clock 1 (monotonic), 1 hour.
  (func (export "wasi_thread_start") (param $tid i32) (param $unused i32)
    (i64.store (i32.const 2048) (i64.const 0))
    (i32.store8 (i32.const 2056) (i32.const 0))
    (i32.store (i32.const 2064) (i32.const 1))
    (i64.store (i32.const 2072) (i64.const 3600000000000))
    (i64.store (i32.const 2080) (i64.const 0))
    (i32.store16 (i32.const 2088) (i32.const 0))
    (drop (call $poll_oneoff (i32.const 2048) (i32.const 2112) (i32.const 1) (i32.const 2144))))

  (func (export "_start")
    (local $channel i32)
    ;; the one handle it was given: the channel
    (drop (call $handles (i32.const 1024) (i32.const 256) (i32.const 8)))
    (local.set $channel (i32.load (i32.const 1024)))
    (if (call $call_offer (i32.const 0) (i32.const 16))
      (then unreachable))
    ;; rights: call | duplicate | transfer
    (i32.store (i32.const 20) (i32.const 1027))
    (if (call $channel_write (local.get $channel) (i32.const 64) (i32.const 4) (i32.const 16) (i32.const 1))
      (then unreachable))
    (drop (call $handle_close (local.get $channel)))
    (if (i32.le_s (call $thread_spawn (i32.const 0)) (i32.const 0))
      (then unreachable))
    (drop (call $call_serve))))
