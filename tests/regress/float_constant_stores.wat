;; Found by the differential fuzzer (seed 985544, optimising tier): a float constant is
;; materialised through r11, which global.set (and a store whose address sits in r11)
;; had already loaded with the target's address, so the constant went to a wild address.
;; Inlining made it common: $id of a constant folds to the constant.
(module
  (global $g (mut f32) (f32.const 0))
  (global $h (mut f64) (f64.const 0))
  (memory 1)
  (func $id (param f32) (result f32) local.get 0)
  (func (export "globals") (result f32 f64)
    (global.set $g (f32.const 2.5))
    (global.set $g (f32.add (global.get $g) (call $id (f32.const -1.75))))
    (global.set $h (f64.const 3.25))
    (global.set $g (call $id (f32.const 7.0)))
    (global.get $g)
    (global.get $h))
  (func (export "stores") (param i32) (result f32 f64)
    (f32.store (local.get 0) (f32.const 6.5))
    (f64.store offset=8 (local.get 0) (f64.const -7.125))
    (f32.store offset=16 (local.get 0) (call $id (f32.const 1.125)))
    (f32.load (local.get 0))
    (f64.load offset=8 (local.get 0)))
  (func (export "run") (result f32)
    call 1 drop drop
    i32.const 64 call 2 drop drop
    (f32.load offset=16 (i32.const 64)))
)
