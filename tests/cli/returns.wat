;; A WASI command whose _start returns without proc_exit: status 0.
(module
  (func (export "_start")))
