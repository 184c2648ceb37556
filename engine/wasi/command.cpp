#include "engine/wasi/command.h"

#include "engine/runtime/invoke.h"
#include "engine/wasi/wasi_host.h"

namespace wk::engine::wasi {

Result<void> add_command_line(WasiContext& context, Span<const StringView> arguments,
                              Span<const StringView> environment)
{
    for (StringView argument : arguments)
        TRY(context.add_argument(argument));
    for (StringView variable : environment)
        TRY(context.add_environment(variable));
    return {};
}

Result<void> add_command_preopen(WasiContext& context, HostHandle directory, StringView guest_name)
{
    auto added = context.add_preopen(directory, guest_name);
    if (!added) {
        (void)context.system().close(directory); // best effort: the add's error is the one to report
        return added.error();
    }
    return {};
}

Result<void> define_command(runtime::Store& store, runtime::Linker& linker, WasiContext& context)
{
    TRY(define_wasi(store, linker, context));
    context.set_exit_hook(unwind_on_exit, nullptr);
    return {};
}

void bind_command(WasiContext& context, const runtime::Instance& instance)
{
    if (auto exported = instance.get_export("memory"); exported && exported->kind == ExternKind::Memory)
        context.bind_memory(exported->memory->vm());
    else if (instance.module().memories.size() > 0)
        context.bind_memory(instance.memory(0)->vm());
}

Result<CommandOutcome> run_start(runtime::Store& store, const runtime::Instance& instance, WasiContext& context)
{
    auto start = instance.get_export("_start");
    if (!start || start->kind != ExternKind::Func)
        return Error::from("the module exports no _start function", ErrorKind::Unlinkable);
    const runtime::TypeRegistry& types = store.types();
    if (!types.params(start->func->type_id).empty() || !types.results(start->func->type_id).empty())
        return Error::from("_start must take no parameters and return no results", ErrorKind::Invalid);
    runtime::VMVal values[1];
    auto invoked = runtime::invoke(store, *start->func, Span<runtime::VMVal>(values, 1));
    CommandOutcome outcome;
    outcome.exit_status = context.exit_status();
    if (outcome.exit_status)
        return outcome;
    if (!invoked)
        return invoked.error();
    outcome.trap = invoked->trap;
    return outcome;
}

} // namespace wk::engine::wasi
