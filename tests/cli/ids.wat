;; A text module whose functions are named only by their $ids: `wasmkern run` encodes
;; them into the name section, so the backtrace shows them.
(module
  (func $inner unreachable)
  (func $outer (call $inner))
  (func (export "go") (call $outer)))
