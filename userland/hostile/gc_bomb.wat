;; A GC allocation bomb: one call keeps every object it allocates alive (a linked list in a
;; global, each node carrying an 8 KiB array), so the store's GC heap fills up. It must end
;; in the trap "out of memory: GC heap exhausted" at the heap limit or the process's memory
;; budget, whichever comes first; its objects go with the process (docs/gc.md).
(module
  (type $bytes (array (mut i64)))
  (type $node (struct (field $next (ref null $node)) (field $payload (ref $bytes))))
  (global $list (mut (ref null $node)) (ref.null $node))
  (memory (export "memory") 0)
  (func (export "_start")
    (loop $more
      (global.set $list
        (struct.new $node (global.get $list) (array.new_default $bytes (i32.const 1024))))
      (br $more))))
