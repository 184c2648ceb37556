;; Exceptions are objects of the GC heap (docs/gc.md, "Exceptions"): kept in structs,
;; arrays, tables, globals, locals and other exceptions' payloads, they survive the
;; collections that later allocations and throws run (every one of them under
;; `wasmkern wast --gc-stress`), with their payloads; a legacy catch's exception survives
;; them until its rethrow.

(module
  (type $node (struct (field $value i32)))
  (type $cell (struct (field $exn (mut exnref)) (field $next (mut (ref null $cell)))))
  (type $exns (array (mut exnref)))
  (type $pair (func (result (ref null $node) i32)))
  (tag $p (param (ref null $node) i32))
  (tag $q (param exnref))
  (global $g (mut exnref) (ref.null noexn))
  (table $t 4 exnref)

  ;; A caught exception of $p carrying (struct i, i), and one of $q carrying it.
  (func $make (param $i i32) (result exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (throw $p (struct.new $node (local.get $i)) (local.get $i)))
      (unreachable)))
  (func $wrap (param $x exnref) (result exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (throw $q (local.get $x)))
      (unreachable)))
  ;; The struct's value plus 1000 times i, of an exception of $p.
  (func $read (param $x exnref) (result i32) (local $i i32)
    (block $h (type $pair) (try_table (catch $p $h) (throw_ref (local.get $x))) (unreachable))
    (local.set $i)
    (i32.add (struct.get $node $value) (i32.mul (local.get $i) (i32.const 1000))))
  (func $unwrap (param $x exnref) (result exnref)
    (block $h (result exnref) (try_table (catch $q $h) (throw_ref (local.get $x))) (unreachable)))
  (func $garbage (param $n i32)
    (loop $l
      (drop (struct.new $node (local.get $n)))
      (drop (call $make (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (local.get $n))))

  (func (export "list") (param $n i32) (result i32) (local $list (ref null $cell)) (local $sum i32)
    (loop $build
      (local.set $list (struct.new $cell (call $wrap (call $make (local.get $n))) (local.get $list)))
      (call $garbage (i32.const 3))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $build (local.get $n)))
    (loop $walk
      (local.set $sum (i32.add (local.get $sum)
        (call $read (call $unwrap (struct.get $cell $exn (local.get $list))))))
      (local.set $list (struct.get $cell $next (local.get $list)))
      (br_if $walk (i32.eqz (ref.is_null (local.get $list)))))
    (local.get $sum))

  (func (export "places") (result i32) (local $a (ref null $exns)) (local $x exnref)
    (local.set $a (array.new_default $exns (i32.const 3)))
    (array.set $exns (local.get $a) (i32.const 1) (call $make (i32.const 1)))
    (global.set $g (call $make (i32.const 2)))
    (table.set $t (i32.const 3) (call $make (i32.const 3)))
    (local.set $x (call $make (i32.const 4)))
    (call $make (i32.const 5)) ;; on the operand stack across what follows
    (call $garbage (i32.const 10))
    (call $read)
    (i32.add (call $read (array.get $exns (local.get $a) (i32.const 1))))
    (i32.add (call $read (global.get $g)))
    (i32.add (call $read (table.get $t (i32.const 3))))
    (i32.add (call $read (local.get $x))))

  (func (export "legacy") (param $n i32) (result i32) (local $i i32)
    (block $outer (type $pair)
      (try_table (catch $p $outer)
        (try
          (do (throw $p (struct.new $node (i32.const 7)) (i32.const 8)))
          (catch $p
            (drop)
            (drop)
            (try
              (do (call $garbage (local.get $n)) (throw $p (struct.new $node (i32.const 1)) (i32.const 1)))
              (catch_all (call $garbage (local.get $n))))
            (rethrow 0))))
      (unreachable))
    (local.set $i)
    (i32.add (struct.get $node $value) (i32.mul (local.get $i) (i32.const 1000))))
)

(assert_return (invoke "list" (i32.const 50)) (i32.const 1276275))
(assert_return (invoke "places") (i32.const 15015))
(assert_return (invoke "places") (i32.const 15015))
(assert_return (invoke "legacy" (i32.const 20)) (i32.const 8007))
(assert_return (invoke "list" (i32.const 1)) (i32.const 1001))
