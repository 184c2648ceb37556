;; The legacy exception instructions (try/catch/catch_all/delegate/rethrow): nesting, delegate targets of every kind, rethrow of an outer clause, calls in between, mixed with try_table, throw_ref and exnref, and traps (never caught).
;; Run by tests/spec/CMakeLists.txt (spec_exceptions, and under each tier): `wasmkern wast` must pass every command.
(module $L1
  (tag $t (export "t") (param i32))
  (func (export "throw-t") (param i32) (throw $t (local.get 0)))
)
(register "L1" $L1)
(module
  (import "L1" "t" (tag $t (param i32)))
  (import "L1" "throw-t" (func $ext_throw (param i32)))
  (tag $e0)
  (tag $e2 (param i64 f64))
  (tag $ev (param v128 i32))
  (tag $ex (param exnref))

  (func $thr (param i32) (throw $t (local.get 0)))
  (func $thr_e0 (throw $e0))
  (func $trap (unreachable))
  ;; Rethrows whatever it catches after adding nothing: the exception's identity is kept.
  (func $relay (param i32)
    (try (do (call $thr (local.get 0))) (catch_all (rethrow 0))))

  ;; A catch whose tag does not match passes the exception to the next clause, then out.
  (func (export "clauses") (param i32) (result i32)
    (try (result i32)
      (do
        (if (i32.eq (local.get 0) (i32.const 0)) (then (call $thr_e0)))
        (if (i32.eq (local.get 0) (i32.const 1)) (then (call $thr (i32.const 41))))
        (if (i32.eq (local.get 0) (i32.const 2)) (then (throw $e2 (i64.const 5) (f64.const 2.5))))
        (i32.const 100))
      (catch $t (i32.add (i32.const 1)))
      (catch $e2 (drop) (i32.wrap_i64))
      (catch_all (i32.const 7))))

  ;; Values under the try (operand stack and locals) survive the unwinding.
  (func (export "stack-and-locals") (param i32) (result i32)
    (local $l i64)
    (local.set $l (i64.const 1000))
    (i32.const 20000)
    (try (result i32)
      (do (local.set $l (i64.const 3000)) (call $ext_throw (local.get 0)) (i32.const 0))
      (catch $t (i32.add (i32.wrap_i64 (local.get $l)))))
    (i32.add))

  ;; Payloads of several types, a v128 among them.
  (func (export "v128-payload") (result i32)
    (local $i i32)
    (try (result i32)
      (do (throw $ev (v128.const i32x4 1 2 3 4) (i32.const 10)) (i32.const 0))
      (catch $ev (local.set $i) (i32x4.extract_lane 3) (local.get $i) (i32.add))))

  ;; delegate to an enclosing try: its clauses catch.
  (func (export "delegate-to-try") (param i32) (result i32)
    (try $outer (result i32)
      (do
        (try (result i32)
          (do (call $thr (local.get 0)) (i32.const 0))
          (delegate $outer)))
      (catch $t)))
  ;; delegate past a try that would catch: the skipped try's catch_all must not run.
  (func (export "delegate-skips") (result i32)
    (try $far (result i32)
      (do
        (try (result i32)
          (do
            (try (result i32)
              (do (call $thr (i32.const 9)) (i32.const 0))
              (delegate $far)))
          (catch_all (i32.const -1))))
      (catch $t (i32.add (i32.const 100)))))
  ;; delegate to a plain block: the handlers around that block catch.
  (func (export "delegate-to-block") (result i32)
    (try (result i32)
      (do
        (block $b (result i32)
          (try (result i32)
            (do
              (try (result i32)
                (do (call $thr (i32.const 3)) (i32.const 0))
                (delegate $b)))
            (catch_all (i32.const -1)))))
      (catch $t (i32.add (i32.const 10)))))
  ;; delegate to the function: nothing in this frame catches, the caller does.
  (func $delegate_out (param i32) (result i32)
    (try (result i32)
      (do
        (try (result i32)
          (do (call $thr (local.get 0)) (i32.const 0))
          (delegate 1)))
      (catch_all (i32.const -1))))
  (func (export "delegate-to-caller") (result i32)
    (try (result i32) (do (call $delegate_out (i32.const 4))) (catch $t (i32.add (i32.const 20)))))
  ;; delegate to a try without catches, which passes it on outwards.
  (func (export "delegate-to-catchless") (result i32)
    (try (result i32)
      (do
        (try $plain (result i32)
          (do (try (result i32) (do (call $thr (i32.const 6)) (i32.const 0)) (delegate $plain)))))
      (catch $t (i32.add (i32.const 30)))))
  ;; delegate to a try that itself delegates, twice.
  (func (export "delegate-chain") (result i32)
    (try $top (result i32)
      (do
        (try (result i32)
          (do
            (try $mid (result i32)
              (do
                (try (result i32) (do (call $thr (i32.const 8)) (i32.const 0)) (delegate $mid)))
              (delegate $top)))
          (catch_all (i32.const -1))))
      (catch $t (i32.add (i32.const 40)))))
  ;; Two ranges with one start and one end (the inner body ends dead): the delegate's must
  ;; stay the inner one, or the skipped catch_all would take the exception.
  (func (export "equal-ranges") (result i32)
    (try $outer (result i32)
      (do
        (try (result i32)
          (do
            (try (result i32)
              (do (call $thr (i32.const 15)) (unreachable))
              (delegate $outer)))
          (catch_all (i32.const -1))))
      (catch $t (i32.add (i32.const 1)))))
  (func (export "equal-ranges-table") (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $t $h)
        (try (result i32)
          (do
            (try (result i32)
              (do (call $thr (i32.const 25)) (unreachable))
              (delegate 1)))
          (catch_all (i32.const -1))))))
  ;; delegate to a try_table label: its catch clauses take it.
  (func (export "delegate-to-try-table") (result i32)
    (block $h (result i32)
      (try_table $tt (result i32) (catch $t $h)
        (try (result i32)
          (do (try (result i32) (do (call $thr (i32.const 11)) (i32.const 0)) (delegate $tt)))
          (catch_all (i32.const -1))))))
  ;; a delegate inside a catch body aimed at its own try goes past that try.
  (func (export "delegate-from-catch") (result i32)
    (try (result i32)
      (do
        (try $t2 (result i32)
          (do (call $thr_e0) (i32.const 0))
          (catch_all
            (try (result i32) (do (call $thr (i32.const 12)) (i32.const 0)) (delegate $t2)))))
      (catch $t (i32.add (i32.const 50)))))

  ;; rethrow of an outer clause's exception from inside a nested clause.
  (func (export "rethrow-outer") (result i32)
    (try (result i32)
      (do
        (try (result i32)
          (do (call $thr (i32.const 13)) (i32.const 0))
          (catch $t
            (drop)
            (try (result i32)
              (do (call $thr_e0) (i32.const 0))
              (catch_all (rethrow 1))))))
      (catch $t (i32.add (i32.const 60)))
      (catch $e0 (i32.const -2))))
  ;; rethrow through a called relay; a catch_all then a typed catch.
  (func (export "rethrow-relay") (param i32) (result i32)
    (try (result i32) (do (call $relay (local.get 0)) (i32.const 0)) (catch $t)))
  ;; A rethrown exception caught as an exnref by a try_table, thrown on by throw_ref.
  (func (export "rethrow-to-exnref") (result i32)
    (try (result i32)
      (do
        (block $h (result exnref)
          (try_table (catch_all_ref $h)
            (try (do (call $thr (i32.const 1))) (catch_all (rethrow 0))))
          (unreachable))
        (throw_ref))
      (catch $t (i32.add (i32.const 200)))))

  ;; A legacy catch takes an exception rethrown by throw_ref, and a try_table takes a legacy rethrow.
  (func (export "legacy-catches-throw-ref") (result i32)
    (try (result i32)
      (do
        (block $h (result i32 exnref)
          (try_table (catch_ref $t $h) (call $thr (i32.const 70)))
          (unreachable))
        (throw_ref))
      (catch $t (i32.add (i32.const 1)))))
  (func (export "try-table-catches-rethrow") (result i32)
    (block $h (result i32)
      (try_table (catch $t $h)
        (try (do (call $ext_throw (i32.const 80))) (catch $t (drop) (rethrow 0))))
      (i32.const -1)))
  ;; an exnref payload caught by a legacy catch, thrown on with throw_ref.
  (func (export "exnref-payload") (result i32)
    (try (result i32)
      (do
        (try (result i32)
          (do
            (try
              (do (call $thr (i32.const 90)))
              (catch_all
                (block $h (result exnref)
                  (try_table (catch_all_ref $h) (rethrow 2))
                  (unreachable))
                (throw $ex)))
            (i32.const 0))
          (catch $ex (throw_ref))))
      (catch $t (i32.add (i32.const 2)))))

  ;; Traps are never caught.
  (func (export "trap-not-caught") (result i32)
    (try (result i32) (do (call $trap) (i32.const 0)) (catch_all (i32.const 1))))
  (func (export "trap-in-catch") (result i32)
    (try (result i32) (do (call $thr_e0) (i32.const 0)) (catch_all (call $trap) (i32.const 1))))

  ;; A loop that catches many times in one frame (the clause's save slot is reused).
  (func (export "catch-loop") (param i32) (result i32)
    (local $sum i32)
    (loop $l
      (try
        (do (call $thr (local.get 0)))
        (catch $t (local.set $sum (i32.add (local.get $sum)))))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get $sum))

  ;; return_call inside a try leaves the try: its callee's exception passes this frame.
  (func $tail (result i32) (try (result i32) (do (return_call $thr_i32 (i32.const 5))) (catch_all (i32.const -1))))
  (func $thr_i32 (param i32) (result i32) (throw $t (local.get 0)))
  (func (export "tail-call-leaves-try") (result i32)
    (try (result i32) (do (call $tail)) (catch $t (i32.add (i32.const 1000)))))

  ;; An uncaught exception from a legacy rethrow ends the activation.
  (func (export "uncaught") (try (do (call $thr_e0)) (catch $e0 (rethrow 0))))
)

(assert_return (invoke "clauses" (i32.const 0)) (i32.const 7))
(assert_return (invoke "clauses" (i32.const 1)) (i32.const 42))
(assert_return (invoke "clauses" (i32.const 2)) (i32.const 5))
(assert_return (invoke "clauses" (i32.const 3)) (i32.const 100))
(assert_return (invoke "stack-and-locals" (i32.const 4)) (i32.const 23004))
(assert_return (invoke "v128-payload") (i32.const 14))
(assert_return (invoke "delegate-to-try" (i32.const 17)) (i32.const 17))
(assert_return (invoke "delegate-skips") (i32.const 109))
(assert_return (invoke "delegate-to-block") (i32.const 13))
(assert_return (invoke "delegate-to-caller") (i32.const 24))
(assert_return (invoke "delegate-to-catchless") (i32.const 36))
(assert_return (invoke "delegate-chain") (i32.const 48))
(assert_return (invoke "delegate-to-try-table") (i32.const 11))
(assert_return (invoke "equal-ranges") (i32.const 16))
(assert_return (invoke "equal-ranges-table") (i32.const 25))
(assert_return (invoke "delegate-from-catch") (i32.const 62))
(assert_return (invoke "rethrow-outer") (i32.const 73))
(assert_return (invoke "rethrow-relay" (i32.const 14)) (i32.const 14))
(assert_return (invoke "rethrow-to-exnref") (i32.const 201))
(assert_return (invoke "legacy-catches-throw-ref") (i32.const 71))
(assert_return (invoke "try-table-catches-rethrow") (i32.const 80))
(assert_return (invoke "exnref-payload") (i32.const 92))
(assert_trap (invoke "trap-not-caught") "unreachable")
(assert_trap (invoke "trap-in-catch") "unreachable")
(assert_return (invoke "catch-loop" (i32.const 100)) (i32.const 5050))
(assert_return (invoke "tail-call-leaves-try") (i32.const 1005))
(assert_exception (invoke "uncaught"))
