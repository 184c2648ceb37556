;; Recursion to a depth given on the command line (tests/cli/stack_test.cpp): returns the depth,
;; or traps with "call stack exhausted" past the wasm stack's fixed size.
(module
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (i32.add (call $down (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
      (else (i32.const 0)))))
