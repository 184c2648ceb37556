#include "engine/compile/compiler.h"

#include "engine/compile/builtins.h"
#include "engine/x64/baseline/baseline_compiler.h"
#include "engine/x64/baseline/trampolines.h"

namespace wk::engine::compile {

Result<RefPtr<CodeObject>> compile_module(runtime::LoadedModule& loaded, CompileStatistics* statistics)
{
    const Module& module = loaded.module();
    u32 imported = module.imported_function_count;
    u32 defined = static_cast<u32>(module.functions.size()) - imported;

    x64::Assembler masm;
    Vector<TrapEntry> traps;
    x64::baseline::BaselineCompiler compiler(module, loaded.offsets(), masm, traps);
    x64::baseline::SymbolSpace symbols = compiler.symbols();
    Vector<u32> symbol_offsets;
    TRY(symbol_offsets.try_resize(symbols.size(), ~u32 { 0 }));
    Vector<u32> function_starts;
    TRY(function_starts.try_reserve(defined + 1));

    u64 wasm_bytes = 0;
    for (u32 i = 0; i < defined; ++i) {
        masm.align(16);
        symbol_offsets[symbols.function(i)] = masm.offset();
        TRY(function_starts.try_append(masm.offset()));
        TRY(compiler.compile_function(imported + i));
        wasm_bytes += module.codes[i].size;
    }
    TRY(function_starts.try_append(masm.offset()));

    x64::baseline::CallLayout layout;
    for (u32 i = 0; i < defined; ++i) {
        u32 type_index = module.functions[imported + i].type_index;
        TRY(x64::baseline::compute_call_layout(module.func_params(type_index), module.func_results(type_index), layout));
        masm.align(16);
        symbol_offsets[symbols.array_entry(i)] = masm.offset();
        x64::baseline::emit_array_entry(masm, layout, symbols.function(i));
    }
    Span<const bool> trampolines = compiler.needed_array_trampolines();
    for (u32 type_index = 0; type_index < trampolines.size(); ++type_index) {
        if (!trampolines[type_index])
            continue;
        TRY(x64::baseline::compute_call_layout(module.func_params(type_index), module.func_results(type_index), layout));
        masm.align(16);
        symbol_offsets[symbols.array_trampoline(type_index)] = masm.offset();
        x64::baseline::emit_array_trampoline(masm, layout);
    }
    if (masm.offset() == 0)
        masm.int3(); // a module without functions still gets a (tiny) code object

    Vector<u8> code = TRY(masm.finish());
    const void* externals[static_cast<u32>(Builtin::Count)];
    for (u32 i = 0; i < static_cast<u32>(Builtin::Count); ++i)
        externals[i] = builtin_address(static_cast<Builtin>(i));

    LinkInput input;
    input.code = code.span();
    input.relocations = masm.relocations();
    input.traps = traps.span();
    input.symbols = symbol_offsets.span();
    input.externals = Span<const void* const>(externals, static_cast<u32>(Builtin::Count));
    input.function_starts = function_starts.span();
    input.first_function_index = imported;
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
