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

} // namespace wk::engine
