;; A load far past the end of a one-page memory: a fault in the guard region, a trap.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (i32.load offset=16 (i32.const 0xFFFFFF00)))))
