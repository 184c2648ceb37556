;; Imports a function the kernel does not provide: instantiation fails, "unknown import".
(module
  (import "wasmkern" "format_disk" (func $format (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $format (i32.const 0)))))
