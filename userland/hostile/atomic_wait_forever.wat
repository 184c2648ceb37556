;; memory.atomic.wait32 with no timeout on a word nobody will change or notify: the process
;; blocks in the runtime's wait until it is killed (tests/kernel/atomic-wait-kill.sh).
;; It first grows its shared memory to 64 pages (4 MiB, touched), so that a leak of the
;; memory on the kill would show in the free frames.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 64 shared)
  (data (i32.const 16) "atomic_wait_forever: waiting\n")
  (func (export "_start")
    (local $page i32)
    (drop (memory.grow (i32.const 63)))
    (loop $touch
      (i32.store (i32.add (i32.mul (local.get $page) (i32.const 65536)) (i32.const 4096)) (i32.const 1))
      (local.set $page (i32.add (local.get $page) (i32.const 1)))
      (br_if $touch (i32.lt_u (local.get $page) (i32.const 64))))
    ;; iovec at 0: the message at 16, 29 bytes
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 29))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 8) (i32.const 0))
    (drop (memory.atomic.wait32 (i32.const 8) (i32.const 0) (i64.const -1)))
    ;; Never reached: nobody notifies.
    (unreachable)))
