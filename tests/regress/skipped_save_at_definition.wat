;; A block whose parameter is stored to its save slot where defined (it crosses a call in
;; a deeper loop) and which only jumps on must not be jumped past: the store is at its
;; start, and the loop's reloads after each call would read a slot never written.
(module
  (import "fuzzing-support" "log-i32" (func $log (param i32)))
  (func $f (param $p i32) (param $sel i32) (result i32)
    (local $x i32)
    (if (i32.eq (local.get $p) (i32.const 12345)) (then (return (call $f (i32.const 1) (i32.const 0)))))
    (local.set $x
      (if (result i32) (local.get $sel)
        (then (i32.const 32767))
        (else (local.get $p))))
    (loop $l
      (call $log (local.get $x))
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $p) (i32.const 0))))
    (local.get $x))
  (func (export "selected") (call $log (call $f (i32.const 3) (i32.const 1))))
  (func (export "passed") (call $log (call $f (i32.const 3) (i32.const 0))))
)
