#include "engine/x64/code_alignment.h"

namespace wk::engine::x64 {

void align_loop_header(Assembler& masm)
{
    masm.align(kLoopAlignment);
}

} // namespace wk::engine::x64
