#pragma once

#include "engine/binary/instruction.h"
#include "engine/binary/reader.h"

namespace wk::engine {

// The one decoding loop over a function body or constant expression, shared by
// the validator and the compilers (see docs/engine-decoder.md). Visitor provides
//   bool finished() const;  // true once the body's final `end` was visited
//   Result<void> visit(const Instruction&);
// The loop reads each instruction with its immediates and hands it over; it
// stops at the first error, which the visitor or the reader reports.
template<typename Visitor>
Result<void> walk_code(Reader& reader, Visitor& visitor)
{
    Instruction instruction;
    while (!visitor.finished()) {
        TRY(read_instruction(reader, instruction));
        TRY(visitor.visit(instruction));
    }
    return {};
}

// Code after an unconditional branch is validated but not compiled. A compiler skips it
// up to the `else` or `end` of the block it is in, counting the blocks it opens on the way
// in `depth`; the answer says whether `opcode` leaves the dead stretch, and how (a legacy
// try's `catch`/`catch_all` starts a clause like `else`; its `delegate` closes it like `end`).
enum class DeadCodeExit : u8 { Stay, Else, End, Catch, Delegate };
constexpr DeadCodeExit step_dead_code(Opcode opcode, u32& depth)
{
    switch (opcode) {
    case Opcode::Block:
    case Opcode::Loop:
    case Opcode::If:
    case Opcode::Try:
    case Opcode::TryTable:
        ++depth;
        return DeadCodeExit::Stay;
    case Opcode::Else:
        return depth == 0 ? DeadCodeExit::Else : DeadCodeExit::Stay;
    case Opcode::Catch:
    case Opcode::CatchAll:
        return depth == 0 ? DeadCodeExit::Catch : DeadCodeExit::Stay;
    case Opcode::End:
    case Opcode::Delegate:
        if (depth == 0)
            return opcode == Opcode::End ? DeadCodeExit::End : DeadCodeExit::Delegate;
        --depth;
        return DeadCodeExit::Stay;
    default:
        return DeadCodeExit::Stay;
    }
}

} // namespace wk::engine
