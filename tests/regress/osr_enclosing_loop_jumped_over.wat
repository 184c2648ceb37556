;; Found by the review of the SSA construction of locals (session 33): a loop header got
;; parameters only for the locals its body assigns. An OSR entry that cannot pass
;; through an enclosing loop (an operand below it) jumps straight to the inner loop's
;; header; the enclosing loop never assigns $n, so after the inner loop exits and the
;; outer one loops back, $n read the old entry's parameter, which the OSR version
;; removes (the tier-up hung). Every loop around the OSR loop now takes every local.
(module
  (func $f (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $k i32) (local $acc i32)
    i32.const 100
    (loop $L0
      (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $n) (i32.const 1000))))
      (local.set $j (i32.const 0))
      (loop $L1
        (local.set $k (i32.const 0))
        (loop $L2
          (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $L2 (i32.lt_u (local.get $k) (i32.const 100))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $L1 (i32.lt_u (local.get $j) (i32.const 100))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $L0 (i32.lt_u (local.get $i) (i32.const 2))))
    local.get $acc
    i32.add)
  (func (export "run") (result i32) (call $f (i32.const 7))))
