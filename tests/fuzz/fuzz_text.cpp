// libFuzzer target for the text front end: bytes as a .wast script (parse_wast, then
// the spec runner's front-end check of every module: encode, decode, validate; nothing
// runs), and as a .wat module through wat_to_wasm, decode_module and validate_module.
#include <cstddef>
#include <cstdint>

#include "engine/module.h"
#include "engine/spec/runner.h"
#include "engine/text/wat.h"

namespace {

void check_modules(wk::Vector<wk::engine::text::Command> const& commands)
{
    for (auto const& command : commands) {
        if (command.has_module || command.kind == wk::engine::text::CommandKind::Module)
            (void)wk::engine::spec::check_module(command.module);
        check_modules(command.thread_commands);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    wk::StringView source(reinterpret_cast<char const*>(data), size);

    auto script = wk::engine::text::parse_wast(source, wk::engine::Features::for_suite_path("fuzz.wast"));
    if (script)
        check_modules(script->commands);

    auto binary = wk::engine::text::wat_to_wasm(source);
    if (!binary) {
        // Text errors are Malformed; Invalid is a custom annotation with a wrong
        // target (a branch hint on an instruction that is not a branch).
        wk::ErrorKind kind = binary.error().kind();
        if (kind != wk::ErrorKind::Malformed && kind != wk::ErrorKind::Invalid && kind != wk::ErrorKind::OutOfMemory)
            __builtin_trap();
        return 0;
    }
    auto module = wk::engine::decode_module(binary->span());
    if (module)
        (void)wk::engine::validate_module(*module);
    return 0;
}
