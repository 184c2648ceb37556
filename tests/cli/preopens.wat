;; Prints the guest name of each preopened directory (fd 3, 4, ...), one per line.
(module
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  ;; 0: iovec, 8: bytes written, 16: "\n", 32: prestat, 64: the name (at most 1024 bytes).
  (memory (export "memory") 1)
  (data (i32.const 16) "\n")

  (func $write (param $pointer i32) (param $length i32)
    (i32.store (i32.const 0) (local.get $pointer))
    (i32.store (i32.const 4) (local.get $length))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func (export "_start")
    (local $fd i32)
    (local $length i32)
    (local.set $fd (i32.const 3))
    (block $done
      (loop $next
        (br_if $done (call $fd_prestat_get (local.get $fd) (i32.const 32)))
        (local.set $length (i32.load (i32.const 36)))
        (br_if $done (i32.gt_u (local.get $length) (i32.const 1024)))
        (br_if $done (call $fd_prestat_dir_name (local.get $fd) (i32.const 64) (local.get $length)))
        (call $write (i32.const 64) (local.get $length))
        (call $write (i32.const 16) (i32.const 1))
        (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
        (br $next)))))
