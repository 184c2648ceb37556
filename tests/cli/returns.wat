;; A WASI command whose _start returns: status 0. It imports something no one defines
;; in its sibling unknown_import.wat.
(module
  (func (export "_start")))
