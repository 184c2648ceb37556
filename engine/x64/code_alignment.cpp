#include "engine/x64/code_alignment.h"

namespace wk::engine::x64 {

void align_loop_header(Assembler& masm)
{
    u32 phase = static_cast<u32>(masm.code().size()) % kLoopAlignment;
    if (phase < kLoopHeaderOffset)
        masm.nop(kLoopHeaderOffset - phase);
}

} // namespace wk::engine::x64
