;; The widest call wasm allows (1000 v128 parameters and 1000 results: about 32 KiB of
;; stack arguments and results area below the caller's frame) made at a chosen recursion
;; depth, for the stack check's boundary test (tests/kernel: kernel_stack_outgoing, mode 9).
;; The prologue check of the caller covers that whole area, so
;; near the limit the call ends in "call stack exhausted", never in a kernel panic.
;;   stack_outgoing MODE DEPTH   recurse DEPTH calls deep, then by MODE:
;;     0 return; 1 the wide call; 2 spin (timer interrupts land at the deepest frame);
;;     3 fd_write a line (a host call from the deepest frame)
;;   stack_outgoing 9   the sweep: finds the deepest recursion that returns (mode 0), then runs
;;     mode 1 from every depth from there up until it returned 16 times in a row, so that the
;;     wide call's stack arguments land at every offset the recursion's frame size allows
;;     relative to the limit; then modes 2 and 3 from the deepest depth where they return.
;;     Each run is a child process (a trap ends a process). Exits 0 when every run returned or
;;     trapped with "call stack exhausted", at least one of each, and modes 2 and 3 returned.
;; (The type's 1000 values are written out: the text format has no repetition.)
(module
  (type $wide (func
    (param
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128)
    (result
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128
      v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasmkern" "spawn_with_stack" (func $spawn (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasmkern" "wait" (func $wait (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; iovec at 32 for the line at 48
  (data (i32.const 32) "\30\00\00\00\0b\00\00\00")
  (data (i32.const 48) "deep write\0a")

  (func $wide (type $wide)
    local.get 0 local.get 1 local.get 2 local.get 3 local.get 4 local.get 5 local.get 6 local.get 7 local.get 8 local.get 9 local.get 10 local.get 11 local.get 12 local.get 13 local.get 14 local.get 15
    local.get 16 local.get 17 local.get 18 local.get 19 local.get 20 local.get 21 local.get 22 local.get 23 local.get 24 local.get 25 local.get 26 local.get 27 local.get 28 local.get 29 local.get 30 local.get 31
    local.get 32 local.get 33 local.get 34 local.get 35 local.get 36 local.get 37 local.get 38 local.get 39 local.get 40 local.get 41 local.get 42 local.get 43 local.get 44 local.get 45 local.get 46 local.get 47
    local.get 48 local.get 49 local.get 50 local.get 51 local.get 52 local.get 53 local.get 54 local.get 55 local.get 56 local.get 57 local.get 58 local.get 59 local.get 60 local.get 61 local.get 62 local.get 63
    local.get 64 local.get 65 local.get 66 local.get 67 local.get 68 local.get 69 local.get 70 local.get 71 local.get 72 local.get 73 local.get 74 local.get 75 local.get 76 local.get 77 local.get 78 local.get 79
    local.get 80 local.get 81 local.get 82 local.get 83 local.get 84 local.get 85 local.get 86 local.get 87 local.get 88 local.get 89 local.get 90 local.get 91 local.get 92 local.get 93 local.get 94 local.get 95
    local.get 96 local.get 97 local.get 98 local.get 99 local.get 100 local.get 101 local.get 102 local.get 103 local.get 104 local.get 105 local.get 106 local.get 107 local.get 108 local.get 109 local.get 110 local.get 111
    local.get 112 local.get 113 local.get 114 local.get 115 local.get 116 local.get 117 local.get 118 local.get 119 local.get 120 local.get 121 local.get 122 local.get 123 local.get 124 local.get 125 local.get 126 local.get 127
    local.get 128 local.get 129 local.get 130 local.get 131 local.get 132 local.get 133 local.get 134 local.get 135 local.get 136 local.get 137 local.get 138 local.get 139 local.get 140 local.get 141 local.get 142 local.get 143
    local.get 144 local.get 145 local.get 146 local.get 147 local.get 148 local.get 149 local.get 150 local.get 151 local.get 152 local.get 153 local.get 154 local.get 155 local.get 156 local.get 157 local.get 158 local.get 159
    local.get 160 local.get 161 local.get 162 local.get 163 local.get 164 local.get 165 local.get 166 local.get 167 local.get 168 local.get 169 local.get 170 local.get 171 local.get 172 local.get 173 local.get 174 local.get 175
    local.get 176 local.get 177 local.get 178 local.get 179 local.get 180 local.get 181 local.get 182 local.get 183 local.get 184 local.get 185 local.get 186 local.get 187 local.get 188 local.get 189 local.get 190 local.get 191
    local.get 192 local.get 193 local.get 194 local.get 195 local.get 196 local.get 197 local.get 198 local.get 199 local.get 200 local.get 201 local.get 202 local.get 203 local.get 204 local.get 205 local.get 206 local.get 207
    local.get 208 local.get 209 local.get 210 local.get 211 local.get 212 local.get 213 local.get 214 local.get 215 local.get 216 local.get 217 local.get 218 local.get 219 local.get 220 local.get 221 local.get 222 local.get 223
    local.get 224 local.get 225 local.get 226 local.get 227 local.get 228 local.get 229 local.get 230 local.get 231 local.get 232 local.get 233 local.get 234 local.get 235 local.get 236 local.get 237 local.get 238 local.get 239
    local.get 240 local.get 241 local.get 242 local.get 243 local.get 244 local.get 245 local.get 246 local.get 247 local.get 248 local.get 249 local.get 250 local.get 251 local.get 252 local.get 253 local.get 254 local.get 255
    local.get 256 local.get 257 local.get 258 local.get 259 local.get 260 local.get 261 local.get 262 local.get 263 local.get 264 local.get 265 local.get 266 local.get 267 local.get 268 local.get 269 local.get 270 local.get 271
    local.get 272 local.get 273 local.get 274 local.get 275 local.get 276 local.get 277 local.get 278 local.get 279 local.get 280 local.get 281 local.get 282 local.get 283 local.get 284 local.get 285 local.get 286 local.get 287
    local.get 288 local.get 289 local.get 290 local.get 291 local.get 292 local.get 293 local.get 294 local.get 295 local.get 296 local.get 297 local.get 298 local.get 299 local.get 300 local.get 301 local.get 302 local.get 303
    local.get 304 local.get 305 local.get 306 local.get 307 local.get 308 local.get 309 local.get 310 local.get 311 local.get 312 local.get 313 local.get 314 local.get 315 local.get 316 local.get 317 local.get 318 local.get 319
    local.get 320 local.get 321 local.get 322 local.get 323 local.get 324 local.get 325 local.get 326 local.get 327 local.get 328 local.get 329 local.get 330 local.get 331 local.get 332 local.get 333 local.get 334 local.get 335
    local.get 336 local.get 337 local.get 338 local.get 339 local.get 340 local.get 341 local.get 342 local.get 343 local.get 344 local.get 345 local.get 346 local.get 347 local.get 348 local.get 349 local.get 350 local.get 351
    local.get 352 local.get 353 local.get 354 local.get 355 local.get 356 local.get 357 local.get 358 local.get 359 local.get 360 local.get 361 local.get 362 local.get 363 local.get 364 local.get 365 local.get 366 local.get 367
    local.get 368 local.get 369 local.get 370 local.get 371 local.get 372 local.get 373 local.get 374 local.get 375 local.get 376 local.get 377 local.get 378 local.get 379 local.get 380 local.get 381 local.get 382 local.get 383
    local.get 384 local.get 385 local.get 386 local.get 387 local.get 388 local.get 389 local.get 390 local.get 391 local.get 392 local.get 393 local.get 394 local.get 395 local.get 396 local.get 397 local.get 398 local.get 399
    local.get 400 local.get 401 local.get 402 local.get 403 local.get 404 local.get 405 local.get 406 local.get 407 local.get 408 local.get 409 local.get 410 local.get 411 local.get 412 local.get 413 local.get 414 local.get 415
    local.get 416 local.get 417 local.get 418 local.get 419 local.get 420 local.get 421 local.get 422 local.get 423 local.get 424 local.get 425 local.get 426 local.get 427 local.get 428 local.get 429 local.get 430 local.get 431
    local.get 432 local.get 433 local.get 434 local.get 435 local.get 436 local.get 437 local.get 438 local.get 439 local.get 440 local.get 441 local.get 442 local.get 443 local.get 444 local.get 445 local.get 446 local.get 447
    local.get 448 local.get 449 local.get 450 local.get 451 local.get 452 local.get 453 local.get 454 local.get 455 local.get 456 local.get 457 local.get 458 local.get 459 local.get 460 local.get 461 local.get 462 local.get 463
    local.get 464 local.get 465 local.get 466 local.get 467 local.get 468 local.get 469 local.get 470 local.get 471 local.get 472 local.get 473 local.get 474 local.get 475 local.get 476 local.get 477 local.get 478 local.get 479
    local.get 480 local.get 481 local.get 482 local.get 483 local.get 484 local.get 485 local.get 486 local.get 487 local.get 488 local.get 489 local.get 490 local.get 491 local.get 492 local.get 493 local.get 494 local.get 495
    local.get 496 local.get 497 local.get 498 local.get 499 local.get 500 local.get 501 local.get 502 local.get 503 local.get 504 local.get 505 local.get 506 local.get 507 local.get 508 local.get 509 local.get 510 local.get 511
    local.get 512 local.get 513 local.get 514 local.get 515 local.get 516 local.get 517 local.get 518 local.get 519 local.get 520 local.get 521 local.get 522 local.get 523 local.get 524 local.get 525 local.get 526 local.get 527
    local.get 528 local.get 529 local.get 530 local.get 531 local.get 532 local.get 533 local.get 534 local.get 535 local.get 536 local.get 537 local.get 538 local.get 539 local.get 540 local.get 541 local.get 542 local.get 543
    local.get 544 local.get 545 local.get 546 local.get 547 local.get 548 local.get 549 local.get 550 local.get 551 local.get 552 local.get 553 local.get 554 local.get 555 local.get 556 local.get 557 local.get 558 local.get 559
    local.get 560 local.get 561 local.get 562 local.get 563 local.get 564 local.get 565 local.get 566 local.get 567 local.get 568 local.get 569 local.get 570 local.get 571 local.get 572 local.get 573 local.get 574 local.get 575
    local.get 576 local.get 577 local.get 578 local.get 579 local.get 580 local.get 581 local.get 582 local.get 583 local.get 584 local.get 585 local.get 586 local.get 587 local.get 588 local.get 589 local.get 590 local.get 591
    local.get 592 local.get 593 local.get 594 local.get 595 local.get 596 local.get 597 local.get 598 local.get 599 local.get 600 local.get 601 local.get 602 local.get 603 local.get 604 local.get 605 local.get 606 local.get 607
    local.get 608 local.get 609 local.get 610 local.get 611 local.get 612 local.get 613 local.get 614 local.get 615 local.get 616 local.get 617 local.get 618 local.get 619 local.get 620 local.get 621 local.get 622 local.get 623
    local.get 624 local.get 625 local.get 626 local.get 627 local.get 628 local.get 629 local.get 630 local.get 631 local.get 632 local.get 633 local.get 634 local.get 635 local.get 636 local.get 637 local.get 638 local.get 639
    local.get 640 local.get 641 local.get 642 local.get 643 local.get 644 local.get 645 local.get 646 local.get 647 local.get 648 local.get 649 local.get 650 local.get 651 local.get 652 local.get 653 local.get 654 local.get 655
    local.get 656 local.get 657 local.get 658 local.get 659 local.get 660 local.get 661 local.get 662 local.get 663 local.get 664 local.get 665 local.get 666 local.get 667 local.get 668 local.get 669 local.get 670 local.get 671
    local.get 672 local.get 673 local.get 674 local.get 675 local.get 676 local.get 677 local.get 678 local.get 679 local.get 680 local.get 681 local.get 682 local.get 683 local.get 684 local.get 685 local.get 686 local.get 687
    local.get 688 local.get 689 local.get 690 local.get 691 local.get 692 local.get 693 local.get 694 local.get 695 local.get 696 local.get 697 local.get 698 local.get 699 local.get 700 local.get 701 local.get 702 local.get 703
    local.get 704 local.get 705 local.get 706 local.get 707 local.get 708 local.get 709 local.get 710 local.get 711 local.get 712 local.get 713 local.get 714 local.get 715 local.get 716 local.get 717 local.get 718 local.get 719
    local.get 720 local.get 721 local.get 722 local.get 723 local.get 724 local.get 725 local.get 726 local.get 727 local.get 728 local.get 729 local.get 730 local.get 731 local.get 732 local.get 733 local.get 734 local.get 735
    local.get 736 local.get 737 local.get 738 local.get 739 local.get 740 local.get 741 local.get 742 local.get 743 local.get 744 local.get 745 local.get 746 local.get 747 local.get 748 local.get 749 local.get 750 local.get 751
    local.get 752 local.get 753 local.get 754 local.get 755 local.get 756 local.get 757 local.get 758 local.get 759 local.get 760 local.get 761 local.get 762 local.get 763 local.get 764 local.get 765 local.get 766 local.get 767
    local.get 768 local.get 769 local.get 770 local.get 771 local.get 772 local.get 773 local.get 774 local.get 775 local.get 776 local.get 777 local.get 778 local.get 779 local.get 780 local.get 781 local.get 782 local.get 783
    local.get 784 local.get 785 local.get 786 local.get 787 local.get 788 local.get 789 local.get 790 local.get 791 local.get 792 local.get 793 local.get 794 local.get 795 local.get 796 local.get 797 local.get 798 local.get 799
    local.get 800 local.get 801 local.get 802 local.get 803 local.get 804 local.get 805 local.get 806 local.get 807 local.get 808 local.get 809 local.get 810 local.get 811 local.get 812 local.get 813 local.get 814 local.get 815
    local.get 816 local.get 817 local.get 818 local.get 819 local.get 820 local.get 821 local.get 822 local.get 823 local.get 824 local.get 825 local.get 826 local.get 827 local.get 828 local.get 829 local.get 830 local.get 831
    local.get 832 local.get 833 local.get 834 local.get 835 local.get 836 local.get 837 local.get 838 local.get 839 local.get 840 local.get 841 local.get 842 local.get 843 local.get 844 local.get 845 local.get 846 local.get 847
    local.get 848 local.get 849 local.get 850 local.get 851 local.get 852 local.get 853 local.get 854 local.get 855 local.get 856 local.get 857 local.get 858 local.get 859 local.get 860 local.get 861 local.get 862 local.get 863
    local.get 864 local.get 865 local.get 866 local.get 867 local.get 868 local.get 869 local.get 870 local.get 871 local.get 872 local.get 873 local.get 874 local.get 875 local.get 876 local.get 877 local.get 878 local.get 879
    local.get 880 local.get 881 local.get 882 local.get 883 local.get 884 local.get 885 local.get 886 local.get 887 local.get 888 local.get 889 local.get 890 local.get 891 local.get 892 local.get 893 local.get 894 local.get 895
    local.get 896 local.get 897 local.get 898 local.get 899 local.get 900 local.get 901 local.get 902 local.get 903 local.get 904 local.get 905 local.get 906 local.get 907 local.get 908 local.get 909 local.get 910 local.get 911
    local.get 912 local.get 913 local.get 914 local.get 915 local.get 916 local.get 917 local.get 918 local.get 919 local.get 920 local.get 921 local.get 922 local.get 923 local.get 924 local.get 925 local.get 926 local.get 927
    local.get 928 local.get 929 local.get 930 local.get 931 local.get 932 local.get 933 local.get 934 local.get 935 local.get 936 local.get 937 local.get 938 local.get 939 local.get 940 local.get 941 local.get 942 local.get 943
    local.get 944 local.get 945 local.get 946 local.get 947 local.get 948 local.get 949 local.get 950 local.get 951 local.get 952 local.get 953 local.get 954 local.get 955 local.get 956 local.get 957 local.get 958 local.get 959
    local.get 960 local.get 961 local.get 962 local.get 963 local.get 964 local.get 965 local.get 966 local.get 967 local.get 968 local.get 969 local.get 970 local.get 971 local.get 972 local.get 973 local.get 974 local.get 975
    local.get 976 local.get 977 local.get 978 local.get 979 local.get 980 local.get 981 local.get 982 local.get 983 local.get 984 local.get 985 local.get 986 local.get 987 local.get 988 local.get 989 local.get 990 local.get 991
    local.get 992 local.get 993 local.get 994 local.get 995 local.get 996 local.get 997 local.get 998 local.get 999)

  (func $call_wide (result i32) (local v128)
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0 local.get 0
    call $wide
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop drop
    i32.const 1)

  (func $spin (result i32) (local $i i32)
    (local.set $i (i32.const 20000000))
    (loop $again
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $again (local.get $i)))
    i32.const 2)

  (func $write (result i32)
    (drop (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 64)))
    i32.const 3)

  (func $rec (param $n i32) (param $mode i32) (result i32)
    (if (result i32) (local.get $n)
      (then (call $rec (i32.sub (local.get $n) (i32.const 1)) (local.get $mode)))
      (else
        (if (result i32) (i32.eqz (local.get $mode))
          (then (i32.const 0))
          (else
            (if (result i32) (i32.eq (local.get $mode) (i32.const 1))
              (then (call $call_wide))
              (else
                (if (result i32) (i32.eq (local.get $mode) (i32.const 2))
                  (then (call $spin))
                  (else (call $write))))))))))

;; ---- mode 9: the sweep (tests/kernel kernel_stack_outgoing) ----------------------------
  ;; Each run is a child process (a trap ends a process): it spawns this program with MODE
  ;; and DEPTH and a 512 KiB stack (so that the sweep's children map no more than they did
  ;; before stacks grew; near the limit each one grows its stack at the stack check) and waits. Memory: 20032 the child's argv, 20100 its pid, 20104 its status,
  ;; 20200 the line being written, 20500 its iovec, 20508 bytes written; texts from 40000.
  (data (i32.const 40000) "/bin/stack_outgoing")
  (data (i32.const 40020) "stack_outgoing")
  (data (i32.const 40035) "stack_outgoing_sweep: probe bounds wrong")
  (data (i32.const 40076) "stack_outgoing_sweep: probe at depth ")
  (data (i32.const 40114) ": status ")
  (data (i32.const 40124) "stack_outgoing_sweep: deepest recursion ")
  (data (i32.const 40165) "stack_outgoing_sweep: wide call at ")
  (data (i32.const 40201) " depths: ")
  (data (i32.const 40211) " returned, ")
  (data (i32.const 40223) " trapped, ")
  (data (i32.const 40234) " other")
  (data (i32.const 40241) "stack_outgoing_sweep: spin at depth ")
  (data (i32.const 40278) "stack_outgoing_sweep: write at depth ")
  (data (i32.const 40316) " (deepest - ")
  (data (i32.const 40329) "): status ")
  (global $line (mut i32) (i32.const 0))

  ;; Writes the decimal digits of $value at $at; returns the end.
  (func $digits (param $at i32) (param $value i32) (result i32) (local $end i32) (local $v i32)
    (if (i32.lt_s (local.get $value) (i32.const 0))
      (then
        (i32.store8 (local.get $at) (i32.const 45))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (local.set $value (i32.sub (i32.const 0) (local.get $value)))))
    (local.set $v (local.get $value))
    (local.set $end (local.get $at))
    (loop $count
      (local.set $end (i32.add (local.get $end) (i32.const 1)))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $count (local.get $v)))
    (local.set $v (local.get $end))
    (loop $write
      (local.set $v (i32.sub (local.get $v) (i32.const 1)))
      (i32.store8 (local.get $v) (i32.add (i32.const 48) (i32.rem_u (local.get $value) (i32.const 10))))
      (local.set $value (i32.div_u (local.get $value) (i32.const 10)))
      (br_if $write (i32.gt_u (local.get $v) (local.get $at))))
    (local.get $end))

  (func $text (param $from i32) (param $length i32)
    (memory.copy (i32.add (i32.const 20200) (global.get $line)) (local.get $from) (local.get $length))
    (global.set $line (i32.add (global.get $line) (local.get $length))))

  (func $number (param $value i32)
    (global.set $line
      (i32.sub (call $digits (i32.add (i32.const 20200) (global.get $line)) (local.get $value)) (i32.const 20200))))

  (func $end_line
    (i32.store8 (i32.add (i32.const 20200) (global.get $line)) (i32.const 10))
    (i32.store (i32.const 20500) (i32.const 20200))
    (i32.store (i32.const 20504) (i32.add (global.get $line) (i32.const 1)))
    (drop (call $fd_write (i32.const 1) (i32.const 20500) (i32.const 1) (i32.const 20508)))
    (global.set $line (i32.const 0)))

  ;; The child's exit status: 0 returned, 134 trapped; -1 when spawn or wait failed.
  (func $run (param $mode i32) (param $depth i32) (result i32) (local $end i32)
    (memory.copy (i32.const 20032) (i32.const 40020) (i32.const 14))
    (i32.store8 (i32.const 20046) (i32.const 0))
    (local.set $end (call $digits (i32.const 20047) (local.get $mode)))
    (i32.store8 (local.get $end) (i32.const 0))
    (local.set $end (call $digits (i32.add (local.get $end) (i32.const 1)) (local.get $depth)))
    (i32.store8 (local.get $end) (i32.const 0))
    (if (call $spawn (i32.const 40000) (i32.const 19) (i32.const 20032) (i32.sub (i32.add (local.get $end) (i32.const 1)) (i32.const 20032))
          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 2) (i32.const 20100)
          (i32.const 524288))
      (then (return (i32.const -1))))
    (if (call $wait (i32.load (i32.const 20100)) (i32.const 20104))
      (then (return (i32.const -1))))
    (i32.load (i32.const 20104)))

  (func $sweep (result i32)
    (local $low i32) (local $high i32) (local $middle i32) (local $status i32) (local $depth i32)
    (local $depths i32) (local $returned i32) (local $exhausted i32) (local $other i32) (local $streak i32)
    (local $mode i32) (local $failed i32)
    ;; The deepest plain recursion that still returns.
    (local.set $high (i32.const 1048576))
    (if (i32.or (call $run (i32.const 0) (i32.const 0))
                (i32.ne (call $run (i32.const 0) (local.get $high)) (i32.const 134)))
      (then (call $text (i32.const 40035) (i32.const 40)) (call $end_line) (return (i32.const 1))))
    (block $found
      (loop $search
        (br_if $found (i32.le_u (i32.sub (local.get $high) (local.get $low)) (i32.const 1)))
        (local.set $middle (i32.add (local.get $low) (i32.shr_u (i32.sub (local.get $high) (local.get $low)) (i32.const 1))))
        (local.set $status (call $run (i32.const 0) (local.get $middle)))
        (if (i32.eqz (local.get $status))
          (then (local.set $low (local.get $middle)))
          (else
            (if (i32.ne (local.get $status) (i32.const 134))
              (then
                (call $text (i32.const 40076) (i32.const 37)) (call $number (local.get $middle))
                (call $text (i32.const 40114) (i32.const 9)) (call $number (local.get $status)) (call $end_line)
                (return (i32.const 1))))
            (local.set $high (local.get $middle))))
        (br $search)))
    (call $text (i32.const 40124) (i32.const 40)) (call $number (local.get $low)) (call $end_line)
    ;; The wide call from every depth from there up, until it returned 16 times in a row.
    (local.set $depth (local.get $low))
    (block $swept
      (loop $next
        (br_if $swept (i32.or (i32.eqz (local.get $depth)) (i32.ge_u (local.get $streak) (i32.const 16))))
        (local.set $status (call $run (i32.const 1) (local.get $depth)))
        (local.set $depths (i32.add (local.get $depths) (i32.const 1)))
        (if (i32.eqz (local.get $status))
          (then
            (local.set $returned (i32.add (local.get $returned) (i32.const 1)))
            (local.set $streak (i32.add (local.get $streak) (i32.const 1))))
          (else
            (if (i32.eq (local.get $status) (i32.const 134))
              (then
                (local.set $exhausted (i32.add (local.get $exhausted) (i32.const 1)))
                (local.set $streak (i32.const 0)))
              (else (local.set $other (i32.add (local.get $other) (i32.const 1)))))))
        (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
        (br $next)))
    (call $text (i32.const 40165) (i32.const 35)) (call $number (local.get $depths))
    (call $text (i32.const 40201) (i32.const 9)) (call $number (local.get $returned))
    (call $text (i32.const 40211) (i32.const 11)) (call $number (local.get $exhausted))
    (call $text (i32.const 40223) (i32.const 10)) (call $number (local.get $other))
    (call $text (i32.const 40234) (i32.const 6)) (call $end_line)
    (local.set $failed (i32.or (i32.or (local.get $other) (i32.eqz (local.get $returned))) (i32.eqz (local.get $exhausted))))
    ;; A spin and a host call from the deepest depth where each still returns.
    (local.set $mode (i32.const 2))
    (loop $each
      (local.set $depth (local.get $low))
      (local.set $status (call $run (local.get $mode) (local.get $depth)))
      (block $settled
        (loop $shallower
          (br_if $settled (i32.ne (local.get $status) (i32.const 134)))
          (br_if $settled (i32.ge_u (i32.sub (local.get $low) (local.get $depth)) (i32.const 16)))
          (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
          (local.set $status (call $run (local.get $mode) (local.get $depth)))
          (br $shallower)))
      (if (i32.eq (local.get $mode) (i32.const 2))
        (then (call $text (i32.const 40241) (i32.const 36)))
        (else (call $text (i32.const 40278) (i32.const 37))))
      (call $number (local.get $depth))
      (call $text (i32.const 40316) (i32.const 12)) (call $number (i32.sub (local.get $low) (local.get $depth)))
      (call $text (i32.const 40329) (i32.const 10)) (call $number (local.get $status)) (call $end_line)
      (local.set $failed (i32.or (local.get $failed) (local.get $status)))
      (local.set $mode (i32.add (local.get $mode) (i32.const 1)))
      (br_if $each (i32.le_u (local.get $mode) (i32.const 3))))
    (local.get $failed))

  ;; The decimal number of argument $k (0 when missing or not a number).
  (func $argument (param $k i32) (result i32) (local $p i32) (local $c i32) (local $value i32)
    (if (i32.ge_u (local.get $k) (i32.load (i32.const 0))) (then (return (i32.const 0))))
    (local.set $p (i32.load (i32.add (i32.const 256) (i32.shl (local.get $k) (i32.const 2)))))
    (block $end
      (loop $digit
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $end (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9)))
        (local.set $value (i32.add (i32.mul (local.get $value) (i32.const 10)) (i32.sub (local.get $c) (i32.const 48))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $digit)))
    (local.get $value))

  (func (export "_start")
    ;; argc at 0, argv pointers at 256 (up to 64), their text at 1024
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (if (i32.gt_u (i32.load (i32.const 0)) (i32.const 64)) (then (unreachable)))
    (if (i32.gt_u (i32.load (i32.const 4)) (i32.const 16384)) (then (unreachable)))
    (drop (call $args_get (i32.const 256) (i32.const 1024)))
    (if (i32.eq (call $argument (i32.const 1)) (i32.const 9))
      (then (call $proc_exit (call $sweep))))
    (drop (call $rec (call $argument (i32.const 2)) (call $argument (i32.const 1))))))
