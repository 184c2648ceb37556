;; Imports a function no linker defines: `wasmkern run` names it and exits 1.
(module
  (import "env" "missing" (func))
  (func (export "_start")))
