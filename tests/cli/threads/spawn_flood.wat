;; wasi-threads, hostile: spawns threads that block for good (memory.atomic.wait32 with
;; no timeout) until thread-spawn refuses one, at most 1000 times, then prints
;;   spawned=<threads started>
;;   refused=<minus the refusal's result>
;; and returns from _start, which ends the program with its threads still blocked.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))

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


  (func (export "wasi_thread_start") (param $tid i32) (param $argument i32)
    (loop $forever
      (drop (memory.atomic.wait32 (i32.const 256) (i32.const 0) (i64.const -1)))
      (br $forever)))

  (func (export "_start")
    (local $spawned i32) (local $result i32)
    (block $refused
      (loop $spawn
        (local.set $result (call $thread_spawn (local.get $spawned)))
        (br_if $refused (i32.le_s (local.get $result) (i32.const 0)))
        (local.set $spawned (i32.add (local.get $spawned) (i32.const 1)))
        (br_if $spawn (i32.lt_u (local.get $spawned) (i32.const 1000)))))
    (call $print (i64.const 0x64656e77617073) (i32.const 7) (i64.extend_i32_u (local.get $spawned)))
    (call $print (i64.const 0x64657375666572) (i32.const 7)
      (i64.extend_i32_u (i32.sub (i32.const 0) (local.get $result))))))
