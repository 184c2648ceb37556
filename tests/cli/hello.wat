;; A WASI command in text: prints "hello", its arguments and its environment, one per
;; line, then exits with status 7. The exports `greet` and `exit_with` serve --invoke.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  ;; 0: iovec, 8: bytes written, 16: "hello\n", 32: counts, 64: up to 256 string
  ;; pointers, 2048: the strings.
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\n")

  (func $write (param $pointer i32) (param $length i32)
    (i32.store (i32.const 0) (local.get $pointer))
    (i32.store (i32.const 4) (local.get $length))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func $strlen (param $pointer i32) (result i32)
    (local $length i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $pointer) (local.get $length)))))
        (local.set $length (i32.add (local.get $length) (i32.const 1)))
        (br $next)))
    (local.get $length))

  ;; Prints the `count` strings whose pointers sit at 64.
  (func $print_strings (param $count i32)
    (local $i i32)
    (local $string i32)
    (if (i32.gt_u (local.get $count) (i32.const 256))
      (then (local.set $count (i32.const 256))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $string (i32.load (i32.add (i32.const 64) (i32.shl (local.get $i) (i32.const 2)))))
        (call $write (local.get $string) (call $strlen (local.get $string)))
        (call $write (i32.const 21) (i32.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  (func (export "_start")
    (call $write (i32.const 16) (i32.const 6))
    (drop (call $args_sizes_get (i32.const 32) (i32.const 36)))
    (drop (call $args_get (i32.const 64) (i32.const 2048)))
    (call $print_strings (i32.load (i32.const 32)))
    (drop (call $environ_sizes_get (i32.const 32) (i32.const 36)))
    (drop (call $environ_get (i32.const 64) (i32.const 2048)))
    (call $print_strings (i32.load (i32.const 32)))
    (call $proc_exit (i32.const 7))
    unreachable)

  (func (export "greet") (result i32)
    (call $write (i32.const 16) (i32.const 6))
    (i32.const 5))

  (func (export "exit_with") (param i32)
    (call $proc_exit (local.get 0))
    unreachable))
