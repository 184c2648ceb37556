;; WASI calls against what the host hands the guest, for `wasmkern run --invoke NAME`:
;; stdio shared with the parent, a file size limit, a closed stderr, proc_exit statuses.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_tell" (func $fd_tell (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_allocate" (func $fd_allocate (param i32 i64 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $fd_fdstat_set_flags (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_get" (func $fd_filestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_size" (func $fd_filestat_set_size (param i32 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_times" (func $fd_filestat_set_times (param i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  ;; 0: iovec, 8: count, 16: "guest\n", 24: "out.txt", 32: digits, 64: fdstat/filestat,
  ;; 256: 64 KiB of 'x' written by fill_stdout.
  (memory (export "memory") 2)
  (data (i32.const 16) "guest\n")
  (data (i32.const 24) "out.txt")

  (func $write (param $fd i32) (param $pointer i32) (param $length i32) (result i32)
    (i32.store (i32.const 0) (local.get $pointer))
    (i32.store (i32.const 4) (local.get $length))
    (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))

  ;; Writes `value` (0-99) in decimal and a space to stderr.
  (func $print (param $value i32)
    (i32.store8 (i32.const 32) (i32.add (i32.const 48) (i32.div_u (local.get $value) (i32.const 10))))
    (i32.store8 (i32.const 33) (i32.add (i32.const 48) (i32.rem_u (local.get $value) (i32.const 10))))
    (i32.store8 (i32.const 34) (i32.const 32))
    (drop (call $write (i32.const 2) (i32.const 32) (i32.const 3))))

  ;; Everything that would act on stdout's open file description, then a write. Prints
  ;; the errno of each, the filetype fdstat and filestat report, then a newline.
  (func (export "shared_stdout")
    (call $print (call $fd_fdstat_set_flags (i32.const 1) (i32.const 0)))
    (call $print (call $fd_filestat_set_size (i32.const 1) (i64.const 0)))
    (call $print (call $fd_seek (i32.const 1) (i64.const 0) (i32.const 0) (i32.const 64)))
    (call $print (call $fd_tell (i32.const 1) (i32.const 64)))
    (call $print (call $fd_allocate (i32.const 1) (i64.const 0) (i64.const 1048576)))
    (call $print (call $fd_filestat_set_times (i32.const 1) (i64.const 0) (i64.const 0) (i32.const 5)))
    (call $print (call $fd_fdstat_get (i32.const 1) (i32.const 64)))
    (call $print (i32.load8_u (i32.const 64)))
    (call $print (call $fd_filestat_get (i32.const 1) (i32.const 64)))
    (call $print (i32.load8_u (i32.const 80)))
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 6)))
    (i32.store8 (i32.const 32) (i32.const 10))
    (drop (call $write (i32.const 2) (i32.const 32) (i32.const 1))))

  ;; Writes 64 KiB to stdout up to 16 times; exits with the first error's errno, or 0.
  (func (export "fill_stdout")
    (local $i i32)
    (local $error i32)
    (memory.fill (i32.const 256) (i32.const 120) (i32.const 65536))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const 16)))
        (local.set $error (call $write (i32.const 1) (i32.const 256) (i32.const 65536)))
        (if (local.get $error) (then (call $proc_exit (local.get $error))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $proc_exit (i32.const 0)))

  ;; Closes the first preopen (fd 3), opens out.txt in the second (fd 4), writes to it
  ;; and traps: the trap report must not land in out.txt.
  (func (export "trap_after_reopen")
    (drop (call $fd_close (i32.const 3)))
    (if (call $path_open (i32.const 4) (i32.const 0) (i32.const 24) (i32.const 7) (i32.const 1)
                         (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 8))
      (then (call $proc_exit (i32.const 99))))
    (drop (call $write (i32.load (i32.const 8)) (i32.const 16) (i32.const 6)))
    unreachable)

  (func (export "exit_with") (param i32)
    (call $proc_exit (local.get 0))))
