;; Deep recursion for the growable process stacks (docs/isolation.md, "The stack"):
;;   stack_deep FRAMES   recurses FRAMES calls deep through a function with 60 i64 locals (a
;;                       baseline frame of about 1 KiB), then returns through all of them
;;                       and prints "stack_deep: FRAMES frames returned".
;;   stack_deep FRAMES hog   first grows its memory until memory.grow refuses (the process's
;;                       memory budget is used up), then recurses: the stack pages it needs
;;                       past the first 128 KiB are over budget, so it ends in "call stack
;;                       exhausted" (the kernel must not panic or map them anyway).
;; 5000 frames (about 5 MiB) ended in "call stack exhausted" with the 512 KiB stacks of
;; before; with the default 8 MiB they return, and a spawn with a smaller stack limit
;; (stack_limit_spawn) traps again.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; 0: argc, 4: argv buffer size, 16: iovec, 64: argv pointers, 1024: argv strings,
  ;; 256: the output line.
  (data (i32.const 256) "stack_deep: ")

  (func $down (param $n i32) (result i64)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64) (local $e i64) (local $f i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (if (i32.eqz (local.get $n)) (then (return (i64.const 0))))
    (local.set $a (i64.extend_i32_u (local.get $n)))
    (local.set $f (i64.mul (local.get $a) (i64.const 3)))
    ;; Not a tail call: the result is used after the callee returns.
    (i64.add (call $down (i32.sub (local.get $n) (i32.const 1)))
             (i64.sub (local.get $f) (i64.add (local.get $a) (local.get $a)))))

  ;; Writes the decimal form of `value` at `at`; returns the address after it.
  (func $decimal (param $value i64) (param $at i32) (result i32)
    (local $digits i32) (local $v i64) (local $i i32)
    (local.set $v (local.get $value))
    (loop $count
      (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $count (i64.ne (local.get $v) (i64.const 0))))
    (local.set $i (local.get $digits))
    (local.set $v (local.get $value))
    (loop $write
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (local.get $at) (local.get $i))
                  (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $write (i32.ne (local.get $i) (i32.const 0))))
    (i32.add (local.get $at) (local.get $digits)))

  (func (export "_start")
    (local $p i32) (local $n i32) (local $c i32) (local $end i32) (local $sum i64)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (if (i32.or (i32.lt_u (i32.load (i32.const 0)) (i32.const 2))
                (i32.gt_u (i32.load (i32.const 4)) (i32.const 30000)))
      (then (call $proc_exit (i32.const 2))))
    (drop (call $args_get (i32.const 64) (i32.const 1024)))
    (local.set $p (i32.load (i32.const 68)))
    (block $done
      (loop $digit
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.lt_u (local.get $c) (i32.const 48)))
        (br_if $done (i32.gt_u (local.get $c) (i32.const 57)))
        (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10)) (i32.sub (local.get $c) (i32.const 48))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $digit)))
    (if (i32.ge_u (i32.load (i32.const 0)) (i32.const 3))
      (then (loop $hog (br_if $hog (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))))
    (local.set $sum (call $down (local.get $n)))
    ;; down(n) = n (n + 1) / 2: checks that every frame returned its part.
    (if (i64.ne (local.get $sum)
                (i64.div_u (i64.mul (i64.extend_i32_u (local.get $n)) (i64.add (i64.extend_i32_u (local.get $n)) (i64.const 1)))
                           (i64.const 2)))
      (then (call $proc_exit (i32.const 3))))
    (local.set $end (call $decimal (i64.extend_i32_u (local.get $n)) (i32.const 268)))
    (i64.store (local.get $end) (i64.const 0x2073656d61726620)) ;; " frames "
    (i64.store (i32.add (local.get $end) (i32.const 8)) (i64.const 0x64656e7275746572)) ;; "returned"
    (i32.store8 (i32.add (local.get $end) (i32.const 16)) (i32.const 10))
    (i32.store (i32.const 16) (i32.const 256))
    (i32.store (i32.const 20) (i32.sub (i32.add (local.get $end) (i32.const 17)) (i32.const 256)))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8)))))
