#include "engine/compile/compiled_module.h"

#include "engine/runtime/invoke.h"
#include "engine/runtime/vm.h"

namespace wk::engine::compile {

Result<CompiledModule> load_and_compile(Vector<u8>&& wasm, CompileStatistics* statistics)
{
    return load_and_compile(std::move(wasm), Features {}, statistics);
}

Result<CompiledModule> load_and_compile(Vector<u8>&& wasm, Features const& features, CompileStatistics* statistics)
{
    return load_and_compile(std::move(wasm), features, CompileOptions {}, statistics);
}

Result<CompiledModule> load_and_compile(Vector<u8>&& wasm, Features const& features, const CompileOptions& options,
                                        CompileStatistics* statistics)
{
    CompiledModule compiled;
    compiled.module = TRY(runtime::LoadedModule::create(std::move(wasm), features));
    compiled.code = TRY(compile_module(*compiled.module, statistics, options));
    return compiled;
}

Result<void> map_backtrace(const TrapInfo& trap, Vector<u32>& functions)
{
    functions.clear();
    for (u32 i = 0; i < trap.frame_count && i < TrapInfo::kMaxFrames; ++i) {
        uptr pc = trap.frames[i];
        // A return address points after the call; look up the call itself.
        uptr lookup = i == 0 ? pc : pc - 1;
        const CodeObject* object = CodeObject::find(lookup);
        if (!object)
            continue;
        if (auto function = object->function_at(lookup))
            TRY(functions.try_append(*function));
    }
    return {};
}

Result<CallOutcome> invoke(runtime::Store& store, const runtime::VMFuncRef& function, Span<const runtime::VMVal> arguments)
{
    const runtime::TypeRegistry& types = store.types();
    if (function.type_id >= types.size())
        return Error::from("not a function reference of this store", ErrorKind::Invalid);
    usize params = types.params(function.type_id).size();
    usize results = types.results(function.type_id).size();
    if (arguments.size() != params)
        return Error::from("wrong number of arguments", ErrorKind::Invalid);
    Vector<runtime::VMVal> values;
    usize slots = params > results ? params : results;
    TRY(values.try_resize(slots ? slots : 1));
    for (usize i = 0; i < params; ++i)
        values[i] = arguments[i];

    auto native = TRY(runtime::invoke(store, function, values.span()));
    CallOutcome outcome;
    if (native.trap) {
        outcome.trap = native.trap;
        TRY(map_backtrace(*native.trap, outcome.backtrace));
        return outcome;
    }
    TRY(outcome.results.try_reserve(results));
    for (usize i = 0; i < results; ++i)
        TRY(outcome.results.try_append(values[i]));
    return outcome;
}

Result<CallOutcome> invoke_export(runtime::Instance& instance, StringView name, Span<const runtime::VMVal> arguments)
{
    auto exported = instance.get_export(name);
    if (!exported || exported->kind != ExternKind::Func)
        return Error::from("unknown export", ErrorKind::Invalid);
    return invoke(instance.store(), *exported->func, arguments);
}

} // namespace wk::engine::compile
