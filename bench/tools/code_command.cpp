// wk-bench code [--tier baseline|optimized] FILE.wasm OUT.bin: compiles the module with
// the given tier (the baseline by default; with `optimized` a function the tier refuses
// is the baseline's) and writes its whole CodeObject (every function, entries and
// trampolines) to OUT.bin, then prints one line per defined function — index, start
// offset in OUT.bin, size in bytes, name — for reading the generated code with
// `objdump -D -b binary -mi386:x86-64 --start-address=OFFSET OUT.bin`.
//
// wk-bench code --osr FUNCTION:LOOP FILE.wasm OUT.bin writes instead the OSR version of one
// function (docs/optimizing-compiler.md, "On-stack replacement") entered at the `loop`
// whose module byte offset is LOOP, as tier-up compiles it, unlinked (calls and builtins
// are rel32 fields not yet filled in): the code an OSR-entered frame runs.

#include "bench/tools/commands.h"

#include <algorithm>

#include "engine/compile/compiled_module.h"
#include "engine/x64/assembler.h"
#include "engine/x64/opt/optimizing_compiler.h"

namespace wk::bench {

using namespace engine;

namespace {

constexpr u32 kNoOsr = ~u32 { 0 };

// Takes `--osr FUNCTION:LOOP` out of args; false after printing an error.
bool take_osr_option(Arguments& args, u32& function_index, u32& loop_offset)
{
    for (usize index = 0; index < args.size(); ++index) {
        if (args[index] != "--osr")
            continue;
        unsigned function = 0, loop = 0;
        char rest = 0;
        std::string value = index + 1 < args.size() ? std::string(args[index + 1]) : std::string();
        if (std::sscanf(value.c_str(), "%u:%u%c", &function, &loop, &rest) != 2) {
            std::fprintf(stderr, "wk-bench: --osr takes FUNCTION:LOOP (a function index, a loop's byte offset)\n");
            return false;
        }
        function_index = function;
        loop_offset = loop;
        args.erase(args.begin() + static_cast<std::ptrdiff_t>(index), args.begin() + static_cast<std::ptrdiff_t>(index) + 2);
        return true;
    }
    return true;
}

int write_osr_version(const runtime::LoadedModule& loaded, u32 function_index, u32 loop_offset, const std::string& out_path)
{
    const Module& module = loaded.module();
    if (function_index < module.imported_function_count || function_index >= module.functions.size()) {
        std::fprintf(stderr, "wk-bench: --osr: function %u is not a defined function\n", function_index);
        return kExitFailure;
    }
    x64::abi::SymbolSpace symbols;
    symbols.defined_count = static_cast<u32>(module.functions.size()) - module.imported_function_count;
    symbols.type_count = static_cast<u32>(module.types.size());
    x64::Assembler masm;
    Vector<TrapEntry> traps;
    x64::opt::OptimizingCompiler compiler(module, loaded.offsets(), masm, traps, symbols);
    compiler.set_osr_loop(loop_offset);
    auto compiled = compiler.compile_function(function_index, 0);
    if (compiled.is_error())
        return print_error("--osr", compiled.error());
    Span<const u8> code = masm.code();
    std::FILE* out = std::fopen(out_path.c_str(), "wb");
    if (!out || std::fwrite(code.data(), 1, code.size(), out) != code.size() || std::fclose(out) != 0) {
        std::fprintf(stderr, "%s: cannot write\n", out_path.c_str());
        return kExitFailure;
    }
    StringView name = loaded.function_name(function_index);
    std::printf("# OSR version of function %u (%.*s) entered at loop %u: %zu bytes in %s\n", function_index,
                static_cast<int>(name.size()), name.data(), loop_offset, code.size(), out_path.c_str());
    return kExitOk;
}

} // namespace

int code_command(const Arguments& arguments)
{
    Arguments args = arguments;
    compile::CompileOptions options;
    if (!take_tier_option(args, options))
        return kExitUsage;
    u32 osr_function = kNoOsr, osr_loop = kNoOsr;
    if (!take_osr_option(args, osr_function, osr_loop))
        return kExitUsage;
    // Index order, so that the offsets of two builds compare.
    options.deterministic_layout = true;
    if (args.size() != 2)
        return usage_error("code takes [--tier baseline|optimized] [--osr FUNCTION:LOOP] FILE.wasm OUT.bin");
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
    if (osr_function != kNoOsr)
        return write_osr_version(module, osr_function, osr_loop, out_path);

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
