#include "engine/x64/code_alignment.h"

namespace wk::engine::x64 {

void align_loop_header(Assembler& masm)
{
    u32 phase = static_cast<u32>(masm.code().size()) % kLoopAlignment;
    if (phase < kLoopHeaderOffset)
        masm.nop(kLoopHeaderOffset - phase);
}

u32 loop_header_padding(u32 phase, Span<const u32> header_block_starts, u32 loop_bytes)
{
    u32 best_padding = 0;
    u64 best_cost = ~u64 { 0 };
    for (u32 padding = 0; padding < kLoopAlignment; ++padding) {
        u32 place = (phase + padding) % kLoopAlignment;
        u32 in_line = 0;
        for (u32 start : header_block_starts) {
            if (start >= kLoopAlignment - place)
                break;
            ++in_line;
        }
        u64 slow = in_line >= kSlowLineInstructions ? 1 : 0;
        u64 lines = (u64 { place } + loop_bytes + kLoopAlignment - 1) / kLoopAlignment;
        // Lexicographic: slow, then lines (below 2^32), then padding (below 64).
        u64 cost = slow << 62 | lines << 8 | padding;
        if (cost < best_cost) {
            best_cost = cost;
            best_padding = padding;
        }
    }
    return best_padding;
}

} // namespace wk::engine::x64
