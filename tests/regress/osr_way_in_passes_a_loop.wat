;; Found by the review of the SSA construction of locals (session 33): the OSR way in
;; lands at $L0 and passes by $L1 (an operand below it), joining just before $L2. $x is
;; assigned in $L0 but never in $L1, so $L1's header had no parameter for it, and on
;; $L1's next iteration after the entry $x read the definition made on $L0's normal
;; path, which the way in skips (wrong sums under tier-up).
(module
  (func $f (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $k i32) (local $m i32) (local $x i32) (local $acc i32)
    (loop $L0
      (local.set $x (i32.add (local.get $n) (local.get $i)))
      (local.set $j (i32.const 0))
      i32.const 100
      (loop $L1
        (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $x) (i32.const 1000))))
        (local.set $k (i32.const 0))
        (loop $L2
          (local.set $m (i32.const 0))
          (loop $L3
            (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
            (local.set $m (i32.add (local.get $m) (i32.const 1)))
            (br_if $L3 (i32.lt_u (local.get $m) (i32.const 20))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $L2 (i32.lt_u (local.get $k) (i32.const 20))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $L1 (i32.lt_u (local.get $j) (i32.const 20))))
      drop
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $L0 (i32.lt_u (local.get $i) (i32.const 5))))
    local.get $acc)
  (func (export "run") (result i32) (call $f (i32.const 7))))
