#include "engine/compile/compiler.h"

#include <algorithm>


#include "engine/compile/builtins.h"
#include "engine/x64/baseline/baseline_compiler.h"
#include "engine/x64/baseline/trampolines.h"
#include "engine/x64/opt/optimizing_compiler.h"

namespace wk::engine::compile {

namespace {
bool g_optimize = false;
void (*g_on_fallback)(const Error&, u32) = nullptr;
}

void set_default_optimized(bool optimized, void (*on_fallback)(const Error&, u32))
{
    g_optimize = optimized;
    g_on_fallback = on_fallback;
}

Result<RefPtr<CodeObject>> compile_module(runtime::LoadedModule& loaded, CompileStatistics* statistics)
{
    const Module& module = loaded.module();
    u32 imported = module.imported_function_count;
    u32 defined = static_cast<u32>(module.functions.size()) - imported;

    // NOTE: each function is assembled on its own (a small buffer that stays in cache)
    // and appended to the module's code, reserved up front; one growing buffer for the
    // whole module spent a third of the time zero-filling, copying and faulting pages.
    x64::Assembler masm;
    Vector<TrapEntry> traps;
    x64::baseline::BaselineCompiler compiler(module, loaded.offsets(), masm, traps);
    x64::baseline::SymbolSpace symbols = compiler.symbols();
    x64::opt::OptimizingCompiler optimizer(module, loaded.offsets(), masm, traps, symbols);
    Vector<u32> symbol_offsets;
    TRY(symbol_offsets.try_resize(symbols.size(), ~u32 { 0 }));
    Vector<u32> function_starts;
    TRY(function_starts.try_reserve(defined + 1));
    Vector<u8> code;
    Vector<x64::Relocation> relocations;
    u64 body_bytes = 0;
    for (const Code& body : module.codes)
        body_bytes += body.size;
    TRY(code.try_reserve(static_cast<usize>(body_bytes * 5 / 2 + 64 * 1024)));

    // Appends what `masm` holds at a 16-byte aligned offset and empties it.
    auto append = [&]() -> Result<u32> {
        while (code.size() % 16 != 0)
            TRY(code.try_append(0xCC));
        u32 base = static_cast<u32>(code.size());
        TRY(masm.check_finished());
        TRY(code.try_extend(masm.code()));
        for (x64::Relocation relocation : masm.relocations()) {
            relocation.offset += base;
            TRY(relocations.try_append(relocation));
        }
        masm.reset();
        if (code.size() > 0x7FFF'0000u)
            return Error::from("implementation limit: module code too large", ErrorKind::Unsupported);
        return base;
    };
    auto next_base = [&]() { return static_cast<u32>((code.size() + 15) & ~usize { 15 }); };

    u64 wasm_bytes = 0;
    for (u32 i = 0; i < defined; ++i) {
        bool done = false;
        if (g_optimize) {
            auto optimized = optimizer.compile_function(imported + i, next_base());
            if (optimized.is_error()) {
                if (optimized.error().kind() != ErrorKind::Unsupported)
                    return optimized.error();
                if (g_on_fallback)
                    g_on_fallback(optimized.error(), imported + i);
                masm.reset();
            } else {
                done = true;
                if (statistics)
                    ++statistics->optimized_functions;
            }
        }
        if (!done)
            TRY(compiler.compile_function(imported + i, next_base()));
        u32 base = TRY(append());
        symbol_offsets[symbols.function(i)] = base;
        TRY(function_starts.try_append(base));
        wasm_bytes += module.codes[i].size;
    }
    TRY(function_starts.try_append(next_base()));

    x64::baseline::CallLayout layout;
    u32 trampolines_base = next_base();
    for (u32 i = 0; i < defined; ++i) {
        u32 type_index = module.functions[imported + i].type_index;
        TRY(x64::baseline::compute_call_layout(module.func_params(type_index), module.func_results(type_index), layout));
        masm.align(16);
        symbol_offsets[symbols.array_entry(i)] = trampolines_base + masm.offset();
        x64::baseline::emit_array_entry(masm, layout, symbols.function(i));
    }
    Span<const bool> trampolines = compiler.needed_array_trampolines();
    Span<const bool> optimized_trampolines = optimizer.needed_array_trampolines();
    for (u32 type_index = 0; type_index < module.types.size(); ++type_index) {
        bool needed = (type_index < trampolines.size() && trampolines[type_index])
            || (type_index < optimized_trampolines.size() && optimized_trampolines[type_index]);
        if (!needed)
            continue;
        TRY(x64::baseline::compute_call_layout(module.func_params(type_index), module.func_results(type_index), layout));
        masm.align(16);
        symbol_offsets[symbols.array_trampoline(type_index)] = trampolines_base + masm.offset();
        x64::baseline::emit_array_trampoline(masm, layout, symbols.retpoline());
    }
    masm.align(16);
    symbol_offsets[symbols.retpoline()] = trampolines_base + masm.offset();
    x64::baseline::emit_retpoline(masm);
    {
        u32 base = TRY(append());
        if (base != trampolines_base)
            return Error::from("trampolines misplaced", ErrorKind::Invalid);
    }

    const void* externals[static_cast<u32>(Builtin::Count)];
    for (u32 i = 0; i < static_cast<u32>(Builtin::Count); ++i)
        externals[i] = builtin_address(static_cast<Builtin>(i));

    // Handler ranges by start; of nested ranges with one start, the outer first, so the
    // innermost containing range is the last one that starts at or before a pc.
    Vector<HandlerEntry> handlers;
    TRY(handlers.try_extend(compiler.handlers()));
    std::sort(handlers.begin(), handlers.end(), [](const HandlerEntry& a, const HandlerEntry& b) {
        return a.start != b.start ? a.start < b.start : a.end > b.end;
    });

    LinkInput input;
    input.code = code.span();
    input.relocations = relocations.span();
    input.traps = traps.span();
    input.symbols = symbol_offsets.span();
    input.externals = Span<const void* const>(externals, static_cast<u32>(Builtin::Count));
    input.function_starts = function_starts.span();
    input.first_function_index = imported;
    input.handlers = handlers.span();
    auto object = TRY(CodeObject::link(input));

    Vector<runtime::FunctionEntries> entries;
    TRY(entries.try_reserve(defined));
    for (u32 i = 0; i < defined; ++i) {
        runtime::FunctionEntries entry;
        entry.native_code = object->address(symbol_offsets[symbols.function(i)]);
        entry.array_call = reinterpret_cast<runtime::VMArrayCall>(const_cast<void*>(object->address(symbol_offsets[symbols.array_entry(i)])));
        TRY(entries.try_append(entry));
    }
    TRY(loaded.set_function_entries(entries.span()));

    if (statistics) {
        statistics->wasm_code_bytes = wasm_bytes;
        statistics->machine_code_bytes = code.size();
        statistics->functions = defined;
        statistics->trap_sites = static_cast<u32>(traps.size());
    }
    return object;
}

} // namespace wk::engine::compile
