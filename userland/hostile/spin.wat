;; A tight loop with no calls and nothing the kernel could check: only the timer can take
;; the CPU away, and only kill can end it (tests/kernel, kernel_process_hostile).
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $forever
      (br $forever))))
