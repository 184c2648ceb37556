// f32/f64 constants, arithmetic and comparisons with the spec's NaN semantics, and the
// conversions that involve floats.

#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

Result<void> BaselineCompiler::emit_float(const Instruction& instruction)
{
    switch (instruction.opcode) {
    case Opcode::F32Const:
        return m_stack.push_constant(ValKind::F32, instruction.bits & 0xFFFF'FFFFu);
    case Opcode::F64Const:
        return m_stack.push_constant(ValKind::F64, instruction.bits);
    default:
        return unsupported("float instruction not implemented");
    }
}

Result<void> BaselineCompiler::emit_float_conversion(const Instruction&)
{
    return unsupported("float conversion not implemented");
}

} // namespace wk::engine::x64::baseline
