;; Asks for a 4 GiB memory up front: more than a process may have. Instantiation fails with
;; the reason on stderr (status 127); nothing is committed.
(module
  (memory (export "memory") 65536)
  (func (export "_start")))
