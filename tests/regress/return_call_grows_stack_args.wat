;; A return_call whose callee takes more stack arguments than the caller received
;; (callers pop their own arguments, so the callee's area cannot grow in place).
;; Wasmkern refused to compile it ("return_call with more stack arguments than the
;; caller's not implemented"); found by difffuzz, seed 300487 with a raised hang limit.
(module
  (import "fuzzing-support" "log-i64" (func $log_i64 (param i64)))
  (import "fuzzing-support" "log-i32" (func $log_i32 (param i32)))
  (type $seven (func (param i64 i64 i64 i64 i64 i64 i64) (result i64)))
  (table 1 funcref)
  (elem (i32.const 0) $weigh)

  ;; rsi rdx rcx r8 r9 carry a..e; f and g are stack arguments.
  (func $weigh (type $seven)
    (i64.add (local.get 0)
      (i64.add (i64.mul (local.get 1) (i64.const 10))
        (i64.add (i64.mul (local.get 2) (i64.const 100))
          (i64.add (i64.mul (local.get 3) (i64.const 1000))
            (i64.add (i64.mul (local.get 4) (i64.const 10000))
              (i64.add (i64.mul (local.get 5) (i64.const 100000))
                (i64.mul (local.get 6) (i64.const 1000000)))))))))

  (func $direct (param $x i64) (result i64)
    (return_call $weigh (local.get $x) (i64.const 2) (i64.const 3) (i64.const 4)
      (i64.const 5) (i64.const 6) (i64.add (local.get $x) (i64.const 6))))
  (func (export "direct") (result i64)
    (call $log_i64 (call $direct (i64.const 1)))
    (call $direct (i64.const 7)))

  (func $indirect (param $x i64) (result i64)
    (return_call_indirect (type $seven) (i64.const 9) (i64.const 8) (i64.const 7)
      (i64.const 6) (i64.const 5) (local.get $x) (i64.const 3) (i32.const 0)))
  (func (export "indirect") (result i64) (call $indirect (i64.const 4)))

  ;; Two results travel through the caller's results area.
  (func $pair (param i64 i64 i64 i64 i64 i64 i64 f64) (result i64 f64)
    (i64.sub (local.get 5) (local.get 6))
    (f64.mul (local.get 7) (f64.convert_i64_s (local.get 0))))
  (func $pair_caller (param $x i32) (result i64 f64)
    (return_call $pair (i64.extend_i32_s (local.get $x)) (i64.const 0) (i64.const 0) (i64.const 0)
      (i64.const 0) (i64.const 50) (i64.const 8) (f64.const 0.5)))
  (func (export "pair") (result i64 f64) (call $pair_caller (i32.const 3)))

  ;; v128 arguments past xmm7 go to the stack, 16-byte aligned.
  (func $last_vector (param v128 v128 v128 v128 v128 v128 v128 v128 i32 v128) (result i32)
    (i32.add (local.get 8) (i32x4.extract_lane 2 (local.get 9))))
  (func $vector_caller (param $x i32) (result i32)
    (return_call $last_vector (v128.const i32x4 0 0 0 0) (v128.const i32x4 0 0 0 0)
      (v128.const i32x4 0 0 0 0) (v128.const i32x4 0 0 0 0) (v128.const i32x4 0 0 0 0)
      (v128.const i32x4 0 0 0 0) (v128.const i32x4 0 0 0 0) (v128.const i32x4 0 0 0 0)
      (local.get $x) (v128.const i32x4 1 2 300 4)))
  (func (export "vector") (result i32) (call $vector_caller (i32.const 12)))

  ;; A chain of 2000 tail calls that alternately need more and fewer stack arguments.
  (func $up (param $n i64) (param $sum i64) (result i64)
    (if (i64.eqz (local.get $n)) (then (return (local.get $sum))))
    (return_call $down (local.get $n) (local.get $sum) (i64.const 1) (i64.const 1)
      (i64.const 1) (i64.const 1) (local.get $n)))
  (func $down (type $seven)
    (return_call $up (i64.sub (local.get 0) (i64.const 1))
      (i64.add (local.get 1) (i64.add (local.get 5) (local.get 6)))))
  (func (export "chain") (result i64)
    (call $log_i32 (i32.const 2000))
    (call $up (i64.const 2000) (i64.const 0)))
)
