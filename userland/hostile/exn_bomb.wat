;; An exception bomb: one call keeps every exception it catches alive (a linked list of
;; structs in a global, each holding a caught exnref whose payload is a 1 KiB array), so the
;; store's GC heap fills up with exceptions. It must end in the trap "out of memory: GC heap
;; exhausted" at the heap limit or the process's memory budget, never a crash; the
;; exceptions go with the process (docs/gc.md, "Exceptions").
(module
  (type $bytes (array (mut i64)))
  (type $cell (struct (field $next (ref null $cell)) (field $exn exnref)))
  (tag $e (param (ref $bytes)))
  (global $list (mut (ref null $cell)) (ref.null $cell))
  (memory (export "memory") 0)
  (func $catch (result exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (throw $e (array.new_default $bytes (i32.const 128))))
      (unreachable)))
  (func (export "_start")
    (loop $more
      (global.set $list (struct.new $cell (global.get $list) (call $catch)))
      (br $more))))
