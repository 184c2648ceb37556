#include "engine/module.h"
#include "hosted/cli.h"
#include "base/format.h"
#include "hosted/section_list.h"

namespace wk::hosted {

char const* const kDumpUsage = R"text(usage: wasmkern dump FILE

Decodes a module (.wasm, or .wat encoded first) and prints its section headers,
then its types, imports, tables, memories, globals, tags, exports, segments,
functions with their body sizes and custom sections, then whether it validates.
Exit status 1 when the module cannot be decoded or is invalid.
)text";

int dump_command(Arguments arguments)
{
    char const* path = nullptr;
    for (char const* argument : arguments) {
        if (is_help(argument)) {
            std::fputs(kDumpUsage, stdout);
            return kExitOk;
        }
        if (is_option(argument))
            return usage_error(std::string("dump: unknown option '") + argument + "'", kDumpUsage);
        if (path)
            return usage_error("dump: more than one FILE", kDumpUsage);
        path = argument;
    }
    if (!path)
        return usage_error("dump: missing FILE", kDumpUsage);

    auto file = load_module_file(path);
    if (!file)
        return kExitFailure;
    char const* note = file->is_text ? kEncodedNote : nullptr;
    auto module = engine::decode_module(file->bytes());
    if (!module) {
        print_binary_error(path, module.error(), note);
        return kExitFailure;
    }
    StdioSink out(stdout);
    format_to(out, "{}:\n", path);
    print_sections(file->bytes(), out);
    engine::dump_module(*module, out);
    std::fflush(stdout);
    if (auto valid = engine::validate_module(*module); !valid) {
        print_binary_error(path, valid.error(), note);
        return kExitFailure;
    }
    std::printf("valid\n");
    return kExitOk;
}

} // namespace wk::hosted
