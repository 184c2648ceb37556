;; Exceptions kept and replaced: 3,000,000 times an exception is caught by catch_all_ref and
;; kept in a global until the next one replaces it, after checking the payload of the one
;; kept before. Exceptions are GC objects (docs/gc.md, "Exceptions"), so this runs in bounded
;; memory and exits with status 42; when they lived until the process died, it trapped
;; "out of memory: too many exceptions" at a 64 MiB cap (48 bytes each: 144 MB).
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (tag $e (param i32))
  (global $kept (mut exnref) (ref.null noexn))
  (memory (export "memory") 0)
  (func $catch (param i32) (result exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (throw $e (local.get 0)))
      (unreachable)))
  (func $value (param exnref) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (throw_ref (local.get 0)))
      (unreachable)))
  (func (export "_start") (local $n i32) (local $next exnref)
    (local.set $n (i32.const 3000000))
    (global.set $kept (call $catch (i32.const 3000001)))
    (loop $again
      (local.set $next (call $catch (local.get $n)))
      (if (i32.ne (call $value (global.get $kept)) (i32.add (local.get $n) (i32.const 1)))
        (then (call $exit (i32.const 1))))
      (global.set $kept (local.get $next))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (call $exit (i32.const 42))))
