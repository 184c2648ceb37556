#include "engine/compile/optimizing_tier.h"

#include "engine/opt/passes.h"

namespace wk::engine::compile {

OptimizingTier::OptimizingTier(const Module& module, const runtime::VMOffsets& offsets, x64::Assembler& assembler,
                               Vector<TrapEntry>& traps, x64::abi::SymbolSpace symbols)
    : m_module(module)
    , m_builder(module)
{
}

// NOTE: plugging in the back end (engine/x64/opt). Add a member
//     x64::opt::OptimizingCompiler m_back_end;
// constructed with (module, offsets, assembler, traps, symbols) as given to this
// constructor; replace the final `return Error::from(...)` below with
//     TRY(m_back_end.compile_function(function_index, code_base));
// (passing it m_function if its compile_function takes the IR instead of building it),
// and make needed_array_trampolines() return m_back_end.needed_array_trampolines().
// discard_function() must then make the back end forget the trampoline needs of the
// failed function (the pipeline already resets the assembler and trap table); until the
// back end can, keeping them is harmless: an unused trampoline costs only its bytes.
Result<void> OptimizingTier::compile_function(u32 function_index, u32 code_base)
{
    TRY(m_builder.build(function_index, m_function));
    TRY(opt::optimize(m_function));
    return Error::from("optimising tier: no x86-64 back end yet", ErrorKind::Unsupported);
}

void OptimizingTier::discard_function() { }

} // namespace wk::engine::compile
