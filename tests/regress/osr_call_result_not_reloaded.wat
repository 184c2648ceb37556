;; The optimising tier saved and reloaded the register of memory.grow's own result around
;; the call in an OSR entry: the entry jumps into the inner loop, so the outer loop's
;; header is laid out before the call and the result's interval (no holes) started there.
;; The reload overwrote the result with a stale one, the loop never saw -1, and `bomb`
;; ran forever under --tier tiered (found by the kernel's memory_bomb with tier-up on).
(module
  (memory 1 64)
  (func (export "bomb") (result i32)
    (local $old i32) (local $n i32) (local $off i32)
    (block $done
      (loop $grow
        (local.set $old (memory.grow (i32.const 1)))
        (br_if $done (i32.lt_s (local.get $old) (i32.const 0)))
        (local.set $off (i32.const 0))
        (loop $touch
          (i32.store8 (i32.add (i32.mul (local.get $old) (i32.const 65536)) (local.get $off)) (i32.const 1))
          (local.set $off (i32.add (local.get $off) (i32.const 4096)))
          (br_if $touch (i32.lt_u (local.get $off) (i32.const 65536))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $grow)))
    (local.get $n)))
