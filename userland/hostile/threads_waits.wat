;; wasi-threads and the wasmkern calls that block (tests/kernel/threads.sh): a thread waiting in
;; one must not stop the calls of the process's other threads, which may be what it waits for.
;; _start makes an event and a port, spawns /bin/spin as a child and /bin/xcall_threads_service
;; (whose function waits for that service's own call lock, held by its sleeping thread: a direct
;; call into it does not return), receiving its call handle on a channel; then four threads:
;; one waits in wait_many for the event's user bit 0 (timeout 10 s), one in port_wait for a
;; packet (deadline 10 s on), one in wait for the child, one in a direct call to the service.
;; Once all four are about to wait, and 300 ms more, _start signals the event, queues a packet
;; (key 7) and kills the child and the service; when the four are back it prints
;;   threads_waits: wait_many=E signalled=S port_wait=P key=K wait=W status=X call=C
;; (0 1 0 7 0 137 13 expected: the call ends with connaborted). Were the call lock held through
;; those calls, _start's calls would wait for them: the first two would time out, and the last
;; two (and so the program) never end.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasmkern" "event_create" (func $event_create (param i32) (result i32)))
  (import "wasmkern" "event_signal" (func $event_signal (param i32 i32 i32) (result i32)))
  (import "wasmkern" "port_create" (func $port_create (param i32) (result i32)))
  (import "wasmkern" "port_queue" (func $port_queue (param i32 i32 i32) (result i32)))
  (import "wasmkern" "port_wait" (func $port_wait (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasmkern" "wait_many" (func $wait_many (param i32 i32 i32) (result i32)))
  (import "wasmkern" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasmkern" "wait" (func $wait (param i32 i32) (result i32)))
  (import "wasmkern" "kill" (func $kill (param i32) (result i32)))
  (import "wasmkern" "spawn_with_handles"
    (func $spawn_with_handles (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasmkern" "channel_create" (func $channel_create (param i32) (result i32)))
  (import "wasmkern" "channel_read" (func $channel_read (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasmkern" "call" (func $call (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))
  ;; 16: event; 20: port; 24: child; 28: service; 32: now (u64); 40, 44: the channel's ends;
  ;; 48: the grant (end, rights); 56: the call handle; 64: the call's result; 80: read counts;
  ;; 96: the message; 256: threads about to wait; 260: threads back; 512 + 4 * role: each
  ;; wait's errno; 528: the wait item (handle, wanted, observed); 544: the port's packet (key,
  ;; signals); 552: its count; 556: the child's status; 1024..: text; 2048..: the line
  (data (i32.const 1024) "/bin/spin")
  (data (i32.const 1040) "spin\00")
  (data (i32.const 1056) "threads_waits: wait_many=")
  (data (i32.const 1088) " signalled=")
  (data (i32.const 1104) " port_wait=")
  (data (i32.const 1120) " key=")
  (data (i32.const 1136) " wait=")
  (data (i32.const 1152) " status=")
  (data (i32.const 1168) "\n")
  (data (i32.const 1184) " call=")
  (data (i32.const 1200) "/bin/xcall_threads_service")
  (data (i32.const 1232) "xcall_threads_service\00")
  (global $at (mut i32) (i32.const 2048))

  ;; role 0: wait_many; 1: port_wait; 2: wait for the child; 3: a direct call to the service
  (func (export "wasi_thread_start") (param $tid i32) (param $role i32)
    (local $result i32)
    (local $deadline i64)
    (if (i32.eq (local.get $role) (i32.const 1))
      (then
        (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 32)))
        (local.set $deadline (i64.add (i64.load (i32.const 32)) (i64.const 10000000000)))))
    (drop (i32.atomic.rmw.add (i32.const 256) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 256) (i32.const 1)))
    (if (i32.eqz (local.get $role))
      (then
        (i32.store (i32.const 528) (i32.load (i32.const 16)))
        (i32.store (i32.const 532) (i32.const 0x01000000))
        (local.set $result (call $wait_many (i32.const 528) (i32.const 1) (i32.const 10000)))))
    (if (i32.eq (local.get $role) (i32.const 1))
      (then
        (local.set $result (call $port_wait (i32.load (i32.const 20)) (i32.wrap_i64 (local.get $deadline))
          (i32.wrap_i64 (i64.shr_u (local.get $deadline) (i64.const 32))) (i32.const 544) (i32.const 1) (i32.const 552)))))
    (if (i32.eq (local.get $role) (i32.const 2))
      (then (local.set $result (call $wait (i32.load (i32.const 24)) (i32.const 556)))))
    (if (i32.eq (local.get $role) (i32.const 3))
      (then (local.set $result (call $call (i32.load (i32.const 56)) (i32.const 0) (i32.const 0) (i32.const 64)
        (i32.const 1) (i32.const 0) (i32.const 0)))))
    (i32.store (i32.add (i32.const 512) (i32.shl (local.get $role) (i32.const 2))) (local.get $result))
    (drop (i32.atomic.rmw.add (i32.const 260) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 260) (i32.const 1))))

  ;; Appends LENGTH bytes at FROM to the line.
  (func $text (param $from i32) (param $length i32)
    (memory.copy (global.get $at) (local.get $from) (local.get $length))
    (global.set $at (i32.add (global.get $at) (local.get $length))))

  ;; Appends VALUE in decimal to the line.
  (func $number (param $value i32)
    (local $end i32)
    (local $p i32)
    (local.set $end (i32.const 1984))
    (local.set $p (local.get $end))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $value) (i32.const 10))))
      (local.set $value (i32.div_u (local.get $value) (i32.const 10)))
      (br_if $digit (local.get $value)))
    (call $text (local.get $p) (i32.sub (local.get $end) (local.get $p))))

  ;; Until the word at ADDRESS reaches COUNT.
  (func $await (param $address i32) (param $count i32)
    (local $seen i32)
    (loop $again
      (local.set $seen (i32.atomic.load (local.get $address)))
      (if (i32.lt_u (local.get $seen) (local.get $count))
        (then
          (drop (memory.atomic.wait32 (local.get $address) (local.get $seen) (i64.const -1)))
          (br $again)))))

  (func (export "_start")
    (local $role i32)
    (if (call $event_create (i32.const 16)) (then unreachable))
    (if (call $port_create (i32.const 20)) (then unreachable))
    (if (call $spawn (i32.const 1024) (i32.const 9) (i32.const 1040) (i32.const 5) (i32.const 0) (i32.const 0)
          (i32.const 0) (i32.const 1) (i32.const 2) (i32.const 24))
      (then unreachable))
    ;; the service, handed the channel's write end; its call handle comes on the read end
    (if (call $channel_create (i32.const 40)) (then unreachable))
    (i32.store (i32.const 48) (i32.load (i32.const 44)))
    (i32.store (i32.const 52) (i32.const 8))
    (if (call $spawn_with_handles (i32.const 1200) (i32.const 26) (i32.const 1232) (i32.const 22) (i32.const 0)
          (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 2) (i32.const 48) (i32.const 1) (i32.const 0) (i32.const 28))
      (then unreachable))
    (i32.store (i32.const 528) (i32.load (i32.const 40)))
    (i32.store (i32.const 532) (i32.const 1))
    (if (call $wait_many (i32.const 528) (i32.const 1) (i32.const 20000)) (then unreachable))
    (if (call $channel_read (i32.load (i32.const 40)) (i32.const 96) (i32.const 16) (i32.const 56) (i32.const 1) (i32.const 80))
      (then unreachable))
    ;; 200 ms (a wait that times out): the service's thread sleeps holding its lock by then
    (drop (memory.atomic.wait32 (i32.const 300) (i32.const 0) (i64.const 200000000)))
    (loop $spawn
      (if (i32.le_s (call $thread_spawn (local.get $role)) (i32.const 0)) (then unreachable))
      (local.set $role (i32.add (local.get $role) (i32.const 1)))
      (br_if $spawn (i32.lt_u (local.get $role) (i32.const 4))))
    (call $await (i32.const 256) (i32.const 4))
    ;; 300 ms (a wait that times out): the three are inside their calls by then
    (drop (memory.atomic.wait32 (i32.const 300) (i32.const 0) (i64.const 300000000)))
    (drop (call $event_signal (i32.load (i32.const 16)) (i32.const 0x01000000) (i32.const 0)))
    (drop (call $port_queue (i32.load (i32.const 20)) (i32.const 7) (i32.const 1)))
    (drop (call $kill (i32.load (i32.const 24))))
    (drop (call $kill (i32.load (i32.const 28))))
    (call $await (i32.const 260) (i32.const 4))
    (call $text (i32.const 1056) (i32.const 25))
    (call $number (i32.load (i32.const 512)))
    (call $text (i32.const 1088) (i32.const 11))
    (call $number (i32.ne (i32.and (i32.load (i32.const 536)) (i32.const 0x01000000)) (i32.const 0)))
    (call $text (i32.const 1104) (i32.const 11))
    (call $number (i32.load (i32.const 516)))
    (call $text (i32.const 1120) (i32.const 5))
    (call $number (i32.load (i32.const 544)))
    (call $text (i32.const 1136) (i32.const 6))
    (call $number (i32.load (i32.const 520)))
    (call $text (i32.const 1152) (i32.const 8))
    (call $number (i32.load (i32.const 556)))
    (call $text (i32.const 1184) (i32.const 6))
    (call $number (i32.load (i32.const 524)))
    (call $text (i32.const 1168) (i32.const 1))
    (i32.store (i32.const 0) (i32.const 2048))
    (i32.store (i32.const 4) (i32.sub (global.get $at) (i32.const 2048)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
