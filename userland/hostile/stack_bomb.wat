;; Recursion without a base case: every call pushes a frame until the stack limit check in
;; the prologue traps (call stack exhausted); the kernel must not crash.
(module
  (memory (export "memory") 1)
  (func $down (param i64) (result i64)
    (i64.add (call $down (i64.add (local.get 0) (i64.const 1))) (local.get 0)))
  (func (export "_start")
    (drop (call $down (i64.const 0)))))
