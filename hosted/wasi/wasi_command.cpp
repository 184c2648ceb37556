#include "hosted/wasi/wasi_command.h"

#include <cerrno>
#include <cstring>
#include <new>

#include "engine/runtime/instance.h"
#include "engine/runtime/linker.h"
#include "engine/wasi/command.h"
#include "engine/wasi/wasi_context.h"
#include "hosted/wasi/posix_system.h"

namespace wk::hosted {

using namespace engine;

bool parse_wasi_command_line(std::span<char const* const> args, WasiCommandOptions& options, std::string& error)
{
    usize i = 0;
    // The value of an option given as `--name VALUE` or `--name=VALUE`.
    auto value_of = [&](std::string_view option, std::string_view arg) -> std::optional<std::string_view> {
        if (arg.size() > option.size())
            return arg.substr(option.size() + 1);
        if (i + 1 >= args.size()) {
            error = std::string(option) + " needs a value";
            return std::nullopt;
        }
        return std::string_view(args[++i]);
    };
    auto is = [](std::string_view arg, std::string_view option) {
        return arg == option || (arg.starts_with(option) && arg.size() > option.size() && arg[option.size()] == '=');
    };
    for (; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (is(arg, "--dir")) {
            auto value = value_of("--dir", arg);
            if (!value)
                return false;
            usize separator = value->find("::");
            std::string host(value->substr(0, separator));
            std::string guest(separator == std::string_view::npos ? *value : value->substr(separator + 2));
            if (host.empty() || guest.empty()) {
                error = "--dir needs HOST or HOST::GUEST, got '" + std::string(*value) + "'";
                return false;
            }
            options.directories.emplace_back(std::move(host), std::move(guest));
        } else if (is(arg, "--tcplisten")) {
            auto value = value_of("--tcplisten", arg);
            if (!value)
                return false;
            options.listeners.emplace_back(*value);
        } else if (is(arg, "--env")) {
            auto value = value_of("--env", arg);
            if (!value)
                return false;
            if (value->find('=') == std::string_view::npos || value->starts_with('=')) {
                error = "--env needs KEY=VALUE, got '" + std::string(*value) + "'";
                return false;
            }
            options.environment.emplace_back(*value);
        } else if (is(arg, "--invoke")) {
            auto value = value_of("--invoke", arg);
            if (!value)
                return false;
            options.invoke = std::string(*value);
        } else if (is(arg, "--tier")) {
            auto value = value_of("--tier", arg);
            if (!value)
                return false;
            options.tier = std::string(*value);
        } else if (arg == "--net") {
            options.network = true;
        } else if (arg == "--log-fallbacks") {
            options.log_fallbacks = true;
        } else if (arg == "--baseline-isa") {
            options.baseline_isa = true;
        } else if (is(arg, "--tier-threshold")) {
            auto value = value_of("--tier-threshold", arg);
            if (!value)
                return false;
            options.tier_threshold = std::string(*value);
        } else if (is(arg, "--layout-seed")) {
            auto value = value_of("--layout-seed", arg);
            if (!value)
                return false;
            options.layout_seed = std::string(*value);
        } else if (arg == "--tier-sync") {
            options.tier_sync = true;
        } else if (arg == "--lazy" || arg == "--eager") {
            options.lazy = arg == "--lazy";
        } else if (arg == "--tier-stats") {
            options.tier_stats = true;
        } else if (arg.size() > 1 && arg[0] == '-') {
            error = "unknown option '" + std::string(arg) + "'";
            return false;
        } else {
            break;
        }
    }
    for (; i < args.size(); ++i)
        options.arguments.emplace_back(args[i]);
    if (options.arguments.empty()) {
        error = "missing FILE";
        return false;
    }
    return true;
}

Result<std::unique_ptr<WasiCommand>> WasiCommand::create(const WasiCommandOptions& options, std::FILE* diagnostics)
{
    std::unique_ptr<WasiCommand> command(new (std::nothrow) WasiCommand());
    if (!command) {
        std::fprintf(diagnostics, "cannot set up WASI: out of memory\n");
        return Error::out_of_memory();
    }
    if (auto set_up = command->set_up(options, diagnostics); !set_up)
        return set_up.error();
    return command;
}

Result<void> WasiCommand::set_up(const WasiCommandOptions& options, std::FILE* diagnostics)
{
    auto fail = [&](const Error& error) {
        std::fprintf(diagnostics, "cannot set up WASI: %s\n", error.message());
        return error;
    };
    m_network = options.network;
    if (auto stdio = PosixWasiSystem::install_stdio(m_context); !stdio)
        return fail(stdio.error());
    std::vector<StringView> arguments;
    std::vector<StringView> environment;
    for (const std::string& argument : options.arguments)
        arguments.emplace_back(argument.data(), argument.size());
    for (const std::string& variable : options.environment)
        environment.emplace_back(variable.data(), variable.size());
    if (auto added = wasi::add_command_line(m_context, Span<const StringView>(arguments.data(), arguments.size()),
                                            Span<const StringView>(environment.data(), environment.size()));
        !added)
        return fail(added.error());
    for (const auto& [host, guest] : options.directories) {
        auto directory = PosixWasiSystem::open_directory(host.c_str());
        if (!directory) {
            std::fprintf(diagnostics, "--dir %s: cannot open: %s\n", host.c_str(), std::strerror(errno));
            return directory.error();
        }
        if (auto added = wasi::add_command_preopen(m_context, *directory, StringView(guest.data(), guest.size()));
            !added) {
            std::fprintf(diagnostics, "--dir %s: cannot preopen as '%s': %s\n", host.c_str(), guest.c_str(),
                         added.error().message());
            return added.error();
        }
    }
    // After the directories, as wasmtime numbers them: stdio, preopened dirs, then sockets.
    for (const std::string& address : options.listeners) {
        std::string reason;
        auto listener = PosixWasiSystem::open_listener(address.c_str(), reason);
        if (!listener) {
            std::fprintf(diagnostics, "--tcplisten %s: %s\n", address.c_str(), reason.c_str());
            return listener.error();
        }
        if (auto added = m_context.add_listening_socket(*listener); !added) {
            (void)m_system.close(*listener);
            return fail(added.error());
        }
    }
    return {};
}

Result<void> WasiCommand::define(runtime::Store& store, runtime::Linker& linker)
{
    TRY(wasi::define_command(store, linker, m_context));
    return define_wasmkern_net(store, linker, m_context, m_network);
}

void WasiCommand::bind(const runtime::Instance& instance) { wasi::bind_command(m_context, instance); }

} // namespace wk::hosted
