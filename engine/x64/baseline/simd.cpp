// SIMD and relaxed SIMD (v128 values live in xmm registers and 16-byte slots).

#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

Result<void> BaselineCompiler::emit_simd(const Instruction&)
{
    return unsupported("SIMD not implemented");
}

} // namespace wk::engine::x64::baseline
