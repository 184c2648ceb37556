;; Traps for `wasmkern run --invoke`: kinds (an uncaught exception is one) and a backtrace
;; through named functions.
(module
  (func $leaf (@name "leaf") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func $middle (@name "middle") (param i32) (result i32) (call $leaf (local.get 0)))
  (func (export "divide") (param i32) (result i32) (call $middle (local.get 0)))
  (func (export "unreachable") unreachable)
  (func $recurse (@name "recurse") (call $recurse))
  (func (export "recurse") (call $recurse))
  (func (export "load_past_end") (result i32) (i32.load (i32.const 65534)))
  (tag $oops (param i32))
  (func $thrower (@name "thrower") (throw $oops (i32.const 1)))
  (func (export "throw") (call $thrower))
  (memory 1))
