// wk-bench code [--tier baseline|optimized] FILE.wasm OUT.bin: compiles the module with
// the given tier (the baseline by default; with `optimized` a function the tier refuses
// is the baseline's) and writes its whole CodeObject (every function, entries and
// trampolines) to OUT.bin, then prints one line per defined function — index, start
// offset in OUT.bin, size in bytes, name — for reading the generated code with
// `objdump -D -b binary -mi386:x86-64 --start-address=OFFSET OUT.bin`.

#include "bench/tools/commands.h"

#include <algorithm>

#include "engine/compile/compiled_module.h"

namespace wk::bench {

using namespace engine;

int code_command(const Arguments& arguments)
{
    Arguments args = arguments;
    compile::CompileOptions options;
    if (!take_tier_option(args, options))
        return kExitUsage;
    // Index order, so that the offsets of two builds compare.
    options.deterministic_layout = true;
    if (args.size() != 2)
        return usage_error("code takes [--tier baseline|optimized] FILE.wasm OUT.bin");
    std::string path(args[0]);
    std::string out_path(args[1]);
    auto bytes = read_file(path.c_str());
    if (!bytes)
        return kExitFailure;
    auto compiled = compile::load_and_compile(to_vector(*bytes), Features {}, options);
    if (compiled.is_error())
        return print_error(path.c_str(), compiled.error());
    const compile::CodeObject& code = *compiled->code;
    const runtime::LoadedModule& module = *compiled->module;

    std::FILE* out = std::fopen(out_path.c_str(), "wb");
    if (!out || std::fwrite(code.base(), 1, code.size(), out) != code.size() || std::fclose(out) != 0) {
        std::fprintf(stderr, "%s: cannot write\n", out_path.c_str());
        return kExitFailure;
    }

    struct Function {
        u32 index;
        usize start;
    };
    std::vector<Function> functions;
    u32 first = module.module().imported_function_count;
    u32 count = static_cast<u32>(module.module().functions.size());
    for (u32 index = first; index < count; ++index) {
        auto* entry = static_cast<const u8*>(module.entries_of(index).native_code);
        if (entry)
            functions.push_back({ index, static_cast<usize>(entry - code.base()) });
    }
    std::sort(functions.begin(), functions.end(), [](const Function& a, const Function& b) { return a.start < b.start; });
    std::printf("# %zu bytes of code in %s\n# index  offset  size  name\n", code.size(), out_path.c_str());
    for (usize i = 0; i < functions.size(); ++i) {
        // NOTE: a function's size runs to the next function's start; the last one's
        // includes the entries and trampolines placed after it.
        usize end = i + 1 < functions.size() ? functions[i + 1].start : code.size();
        StringView name = module.function_name(functions[i].index);
        std::printf("%u  0x%zx  %zu  %.*s\n", functions[i].index, functions[i].start, end - functions[i].start,
                    static_cast<int>(name.size()), name.data());
    }
    return kExitOk;
}

} // namespace wk::bench
