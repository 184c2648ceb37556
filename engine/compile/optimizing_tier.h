#pragma once

// The optimising tier behind the tier interface (tier.h): the middle end (engine/opt:
// the SSA builder and optimize()) and, once it lands, the x86-64 back end
// (engine/x64/opt). Until then every function ends in ErrorKind::Unsupported
// ("optimising tier: no x86-64 back end yet") after its IR is built and optimised, so
// compile_module falls back to the baseline for it; the IR builder still runs on every
// function (and refuses what it does not take with its own reason).

#include "base/result.h"
#include "base/vector.h"
#include "engine/compile/tier.h"
#include "engine/module.h"
#include "engine/opt/builder.h"
#include "engine/opt/ir.h"
#include "engine/platform.h"
#include "engine/runtime/vm.h"
#include "engine/x64/abi/symbols.h"
#include "engine/x64/assembler.h"

namespace wk::engine::compile {

class OptimizingTier final : public FunctionCompiler {
public:
    // The arguments are those of x64::opt::OptimizingCompiler's constructor, which this
    // class will hold (NOTE: see compile_function).
    OptimizingTier(const Module& module, const runtime::VMOffsets& offsets, x64::Assembler& assembler,
                   Vector<TrapEntry>& traps, x64::abi::SymbolSpace symbols);

    Result<void> compile_function(u32 function_index, u32 code_base) override;
    void discard_function() override;
    // The optimising tier refuses try_table (the builder's "exceptions" reason), so it
    // records no handler ranges.
    Span<const HandlerEntry> handlers() const override { return {}; }
    // Nothing is emitted yet, so no trampoline is called (NOTE: the back end's, when it lands).
    Span<const bool> needed_array_trampolines() const override { return {}; }

private:
    const Module& m_module;
    opt::Builder m_builder;
    opt::Function m_function; // reused from function to function
};

} // namespace wk::engine::compile
