;; Exports for `wasmkern run --invoke`: every numeric type, several results, none.
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "mulf") (param f32 f32) (result f32) (f32.mul (local.get 0) (local.get 1)))
  (func (export "divd") (param f64 f64) (result f64) (f64.div (local.get 0) (local.get 1)))
  (func (export "swap") (param i32 f64) (result f64 i32 i64) (local.get 1) (local.get 0) (i64.const -1))
  (func (export "nan_payload") (result f32) (f32.reinterpret_i32 (i32.const 0x7fa00001)))
  (func (export "nothing"))
  (func (export "take_ref") (param externref))
  (global (export "a_global") i32 (i32.const 0))
  (memory (export "memory") 1))
