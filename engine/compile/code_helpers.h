#pragma once

// Helpers compiled code calls that are not in the runtime's builtin table
// (engine/runtime/builtins.h, reached through VMContext::builtins). System V, vmctx
// first. Their addresses reach the code as relocations (kExternalBase + CodeHelper).

#include "base/span.h"
#include "base/types.h"

namespace wk::engine::compile {

enum class CodeHelper : u32 {
    FuncSubtype, // u32 (VMContext*, u32 actual_type_id, u32 expected_type_id): 1 if a subtype
    // u32 (VMContext*, const void* tag, const VMVal* values, u64 count, u64 rethrow), see
    // exceptions.h: does not return when a handler catches the exception.
    Throw,
    // void (VMContext*, u32 function_index): the defined function's tier-up budget
    // (VMOffsets::kTierBudgets) went below zero (tier_up.h). Never unwinds.
    TierUp,
    // uptr (VMContext*, u32 function_index, u32 loop_offset): as TierUp, from the header
    // of the loop at module byte offset `loop_offset`; returns the function's OSR entry
    // at that loop if one is ready, else 0 (tier_up.h). Never unwinds.
    TierUpLoop,
    // uptr (VMContext*, u32 function_index): the defined function's first call found its jump
    // slot at the lazy stub (CompileOptions::lazy, tier_up.h): compiles it (once, whichever
    // thread gets there first), points the slot at the code and returns the slot's address
    // to continue into. When the compile fails, unwinds the activation with
    // TrapKind::LazyCompileFailed instead of returning.
    LazyCompile,
    Count,
};

const void* code_helper_address(CodeHelper);

// Every helper's address, indexed by CodeHelper: what a link resolves kExternalBase + i against.
struct CodeHelperAddresses {
    CodeHelperAddresses();
    Span<const void* const> span() const { return { addresses, static_cast<u32>(CodeHelper::Count) }; }

    const void* addresses[static_cast<u32>(CodeHelper::Count)];
};

} // namespace wk::engine::compile
