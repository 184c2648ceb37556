// Threads proposal: atomic memory accesses, wait/notify, fence.

#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

Result<void> BaselineCompiler::emit_atomic(const Instruction&)
{
    return unsupported("atomics not implemented");
}

} // namespace wk::engine::x64::baseline
