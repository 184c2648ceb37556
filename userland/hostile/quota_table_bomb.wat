;; Four tables of a million elements each (the per-table and per-store element limits, 32 MiB
;; of kernel memory), then grows memory 1 MiB at a time until refused; exits with the number
;; of MiB it got (1000 + N when growing table N fails). Tables count in the process's memory
;; budget, so it gets about 32 MiB less than memory_bomb does.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (table $t0 0 1000000 funcref)
  (table $t1 0 1000000 funcref)
  (table $t2 0 1000000 funcref)
  (table $t3 0 1000000 funcref)
  (memory (export "memory") 0)
  (func (export "_start")
    (local $mib i32)
    (if (i32.eq (table.grow $t0 (ref.null func) (i32.const 1000000)) (i32.const -1))
      (then (call $exit (i32.const 1000))))
    (if (i32.eq (table.grow $t1 (ref.null func) (i32.const 1000000)) (i32.const -1))
      (then (call $exit (i32.const 1001))))
    (if (i32.eq (table.grow $t2 (ref.null func) (i32.const 1000000)) (i32.const -1))
      (then (call $exit (i32.const 1002))))
    (if (i32.eq (table.grow $t3 (ref.null func) (i32.const 1000000)) (i32.const -1))
      (then (call $exit (i32.const 1003))))
    (block $done
      (loop $more
        (br_if $done (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
        (local.set $mib (i32.add (local.get $mib) (i32.const 1)))
        (br $more)))
    (call $exit (local.get $mib))))
