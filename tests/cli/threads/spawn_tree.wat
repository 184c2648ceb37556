;; wasi-threads, hostile: a spawn tree. Every thread spawns two more and then blocks for
;; good, so spawns race each other until thread-spawn refuses; each success is counted, and
;; the first refusal is recorded and notified. _start spawns the root, waits for a refusal
;; and for the count to reach 64, and prints
;;   spawned=<threads counted>
;;   refused=<minus a refusal's result>
;; then returns, which ends the program with its threads still blocked.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))

  (global $spawned i32 (i32.const 256)) ;; i32: successful spawns
  (global $refused i32 (i32.const 260)) ;; i32: minus the first refusal's result
  (global $idle i32 (i32.const 264))    ;; i32: never changes; threads block on it

  ;; Writes LABEL (its LENGTH bytes, little-endian in an i64), '=', VALUE in decimal and a
  ;; newline on stdout. Main thread only: scratch at 32..127.
  (func $print (param $label i64) (param $length i32) (param $value i64)
    (local $p i32)
    (i64.store (i32.const 64) (local.get $label))
    (i32.store8 (i32.add (i32.const 64) (local.get $length)) (i32.const 61))
    (local.set $p (i32.const 120))
    (i32.store8 (i32.const 120) (i32.const 10))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $value) (i64.const 10)))))
      (local.set $value (i64.div_u (local.get $value) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $value) (i64.const 0))))
    (i32.store (i32.const 32) (i32.const 64))
    (i32.store (i32.const 36) (i32.add (local.get $length) (i32.const 1)))
    (i32.store (i32.const 40) (local.get $p))
    (i32.store (i32.const 44) (i32.sub (i32.const 121) (local.get $p)))
    (drop (call $fd_write (i32.const 1) (i32.const 32) (i32.const 2) (i32.const 48))))


  (func $spawn_one (param $argument i32)
    (local $result i32)
    (local.set $result (call $thread_spawn (local.get $argument)))
    (if (i32.gt_s (local.get $result) (i32.const 0))
      (then
        (drop (i32.atomic.rmw.add (global.get $spawned) (i32.const 1)))
        (drop (memory.atomic.notify (global.get $spawned) (i32.const -1))))
      (else
        (drop (i32.atomic.rmw.cmpxchg (global.get $refused) (i32.const 0)
                                      (i32.sub (i32.const 0) (local.get $result))))
        (drop (memory.atomic.notify (global.get $refused) (i32.const -1))))))

  (func (export "wasi_thread_start") (param $tid i32) (param $depth i32)
    (call $spawn_one (i32.add (local.get $depth) (i32.const 1)))
    (call $spawn_one (i32.add (local.get $depth) (i32.const 1)))
    (loop $forever
      (drop (memory.atomic.wait32 (global.get $idle) (i32.const 0) (i64.const -1)))
      (br $forever)))

  ;; Waits until the word at ADDRESS is at least LEAST.
  (func $wait_for (param $address i32) (param $least i32)
    (local $seen i32)
    (loop $wait
      (local.set $seen (i32.atomic.load (local.get $address)))
      (if (i32.lt_u (local.get $seen) (local.get $least))
        (then
          (drop (memory.atomic.wait32 (local.get $address) (local.get $seen) (i64.const -1)))
          (br $wait)))))

  (func (export "_start")
    (call $spawn_one (i32.const 0))
    (call $wait_for (global.get $refused) (i32.const 1))
    (call $wait_for (global.get $spawned) (i32.const 64))
    (call $print (i64.const 0x64656e77617073) (i32.const 7)
      (i64.extend_i32_u (i32.atomic.load (global.get $spawned))))
    (call $print (i64.const 0x64657375666572) (i32.const 7)
      (i64.extend_i32_u (i32.atomic.load (global.get $refused))))))
