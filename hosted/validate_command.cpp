#include <vector>

#include "engine/module.h"
#include "hosted/cli.h"

namespace wk::hosted {

char const* const kValidateUsage = R"text(usage: wasmkern validate FILE...

Decodes and validates each module. FILE is a binary module (.wasm) or a text
module (.wat); other names are told apart by the binary magic.
Prints "ok" (or "FILE: ok" for several files) and exits 0 when all are valid;
otherwise prints "FILE: offset 0x..: message" (binary) or "FILE:LINE:COL: message"
(text syntax) for each bad file and exits 1.
)text";

namespace {

bool validate_file(char const* path, bool name_it)
{
    auto file = load_module_file(path);
    if (!file)
        return false;
    char const* note = file->is_text ? kEncodedNote : nullptr;
    auto module = engine::decode_module(file->bytes());
    if (!module) {
        print_binary_error(path, module.error(), note);
        return false;
    }
    auto valid = engine::validate_module(*module);
    if (!valid) {
        print_binary_error(path, valid.error(), note);
        return false;
    }
    if (name_it)
        std::printf("%s: ok\n", path);
    else
        std::printf("ok\n");
    return true;
}

} // namespace

int validate_command(Arguments arguments)
{
    std::vector<char const*> paths;
    for (char const* argument : arguments) {
        if (is_help(argument)) {
            std::fputs(kValidateUsage, stdout);
            return kExitOk;
        }
        if (is_option(argument))
            return usage_error(std::string("validate: unknown option '") + argument + "'", kValidateUsage);
        paths.push_back(argument);
    }
    if (paths.empty())
        return usage_error("validate: missing FILE", kValidateUsage);
    bool all_valid = true;
    for (char const* path : paths)
        all_valid &= validate_file(path, paths.size() > 1);
    return all_valid ? kExitOk : kExitFailure;
}

} // namespace wk::hosted
