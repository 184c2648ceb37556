(module
  (import "env" "missing" (func))
  (func (export "_start")))
