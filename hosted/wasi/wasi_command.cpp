#include "hosted/wasi/wasi_command.h"

#include <cstring>

#include "engine/runtime/instance.h"
#include "engine/runtime/invoke.h"
#include "engine/runtime/linker.h"
#include "engine/wasi/exit.h"
#include "engine/wasi/wasi_context.h"
#include "engine/wasi/wasi_host.h"
#include "hosted/wasi/posix_system.h"

namespace wk::hosted {

using namespace engine;

bool parse_wasi_command_line(std::span<char const* const> args, WasiCommandOptions& options, std::string& error)
{
    usize i = 0;
    auto value_of = [&](const char* option) -> const char* {
        if (i + 1 >= args.size()) {
            error = std::string(option) + " needs a value";
            return nullptr;
        }
        return args[++i];
    };
    for (; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (arg == "--dir") {
            const char* value = value_of("--dir");
            if (!value)
                return false;
            std::string_view text = value;
            usize separator = text.find("::");
            std::string host(text.substr(0, separator));
            std::string guest(separator == std::string_view::npos ? text : text.substr(separator + 2));
            if (host.empty() || guest.empty()) {
                error = "--dir needs HOST or HOST::GUEST";
                return false;
            }
            options.directories.emplace_back(std::move(host), std::move(guest));
        } else if (arg == "--env") {
            const char* value = value_of("--env");
            if (!value)
                return false;
            if (!std::strchr(value, '=') || value[0] == '=') {
                error = "--env needs KEY=VALUE";
                return false;
            }
            options.environment.emplace_back(value);
        } else if (arg.starts_with("--")) {
            error = "unknown option " + std::string(arg);
            return false;
        } else {
            break;
        }
    }
    for (; i < args.size(); ++i)
        options.arguments.emplace_back(args[i]);
    if (options.arguments.empty()) {
        error = "no module file";
        return false;
    }
    return true;
}

Result<int> run_wasi_command(runtime::Store& store, runtime::LoadedModule& module, const WasiCommandOptions& options,
                             std::FILE* diagnostics)
{
    PosixWasiSystem system;
    wasi::WasiContext context(system);
    TRY(PosixWasiSystem::install_stdio(context));
    for (const std::string& argument : options.arguments)
        TRY(context.add_argument(argument));
    for (const std::string& variable : options.environment)
        TRY(context.add_environment(variable));
    for (const auto& [host, guest] : options.directories) {
        auto directory = PosixWasiSystem::open_directory(host.c_str());
        if (!directory) {
            std::fprintf(diagnostics, "%s: cannot open the directory\n", host.c_str());
            return directory.error();
        }
        TRY(context.add_preopen(*directory, guest));
    }

    runtime::Linker linker;
    TRY(wasi::define_wasi(store, linker, context));
    RefPtr<runtime::Instance> instance = TRY(store.instantiate(module, linker));

    if (auto exported = instance->get_export("memory"); exported && exported->kind == ExternKind::Memory)
        context.bind_memory(exported->memory->vm());
    else if (instance->module().memories.size() > 0)
        context.bind_memory(instance->memory(0)->vm());
    context.set_exit_hook(wasi::unwind_on_exit, nullptr);

    auto start = instance->get_export("_start");
    if (!start || start->kind != ExternKind::Func)
        return Error::from("the module has no _start function", ErrorKind::Unlinkable);
    runtime::VMVal values[1];
    auto outcome = TRY(runtime::invoke(store, *start->func, Span<runtime::VMVal>(values, 1)));

    std::fflush(stdout);
    if (auto status = context.exit_status())
        return static_cast<int>(*status);
    if (outcome.trap) {
        std::fprintf(diagnostics, "trap: %s\n", trap_message(outcome.trap->kind));
        return kTrapExitStatus;
    }
    return 0;
}

} // namespace wk::hosted
