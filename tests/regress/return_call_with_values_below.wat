;; A return_call compiled as a call and a return (the callee takes more stack arguments
;; than the caller received) with a value of the block left below its arguments. The
;; validator has dropped the block's values when the compiler records the call's stack
;; map; the baseline refused the module ("operand types out of step with the stack")
;; until such a site got no map. Found by the review of the stack maps (session 30).
(module
  (type $nine (func (param i64 i64 i64 i64 i64 i64 i64 i64 i64) (result i64)))
  (table 1 funcref)
  (elem (i32.const 0) $g)
  (func $g (type $nine) (local.get 8))
  (func (export "direct") (result i64)
    (i64.const 99)
    (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5)
    (i64.const 6) (i64.const 7) (i64.const 8) (i64.const 9)
    (return_call $g))
  (func (export "indirect") (result i64)
    (i64.const 98)
    (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5)
    (i64.const 6) (i64.const 7) (i64.const 8) (i64.const 10)
    (return_call_indirect (type $nine) (i32.const 0))))
