;; memory.atomic.wait in a loop that never ends: waits of 1 µs that time out, INT64_MAX-ns
;; waits on a word that differs (not-equal at once), notifies of 2^32-1 waiters that wake
;; nobody. Nearly all its time is spent in the runtime's wait; kill must still end it
;; (tests/kernel/atomic-wait-kill.sh).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1 shared)
  (data (i32.const 16) "atomic_wait_spin: spinning\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 27))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 8) (i32.const 0))
    (i32.store (i32.const 12) (i32.const 1))
    (loop $forever
      (drop (memory.atomic.wait32 (i32.const 8) (i32.const 0) (i64.const 1000)))
      (drop (memory.atomic.wait64 (i32.const 8) (i64.const 0) (i64.const 0x7fffffffffffffff)))
      (drop (memory.atomic.notify (i32.const 8) (i32.const -1)))
      (br $forever))))
