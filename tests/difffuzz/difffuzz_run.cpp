// difffuzz_run [--tier TIER] FILE.wasm|FILE.wat...: the Wasmkern side of the differential
// fuzzer, compiling with TIER (baseline, the default, optimized, or tiered: tier-up in
// synchronous mode with a budget of 3 calls or iterations, so that functions are
// replaced while their baseline frames run, deterministically). For each
// module it prints the transcript that run.mjs prints for V8 (the format is in
// docs/difffuzz.md); difffuzz.py compares the two line by line. Lines starting with
// '#' carry details (error and trap messages) that the comparison ignores.
// difffuzz_run --wat2wasm IN.wat OUT.wasm: encodes a regression case for node.
//
// A module imports binaryen's "fuzzing-support" log functions; each prints its argument.
// Every exported function is called in export order with zero arguments, after
// "hangLimitInitializer" (when exported) resets the module's loop budget.

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/compile/compiler.h"
#include "engine/compile/compiled_module.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/memory.h"
#include "engine/runtime/store.h"
#include "engine/text/wat.h"

using namespace wk;
using namespace wk::engine;
using runtime::VMVal;

namespace {

// NOTE: NaN payloads and signs are nondeterministic across engines, so every NaN
// prints as "nan"; other floats print as their bit pattern.
std::string format_f32(f32 value)
{
    if (std::isnan(value))
        return "nan";
    char text[32];
    std::snprintf(text, sizeof(text), "f32:%08x", __builtin_bit_cast(u32, value));
    return text;
}

std::string format_f64(f64 value)
{
    if (std::isnan(value))
        return "nan";
    char text[32];
    std::snprintf(text, sizeof(text), "f64:%016llx", static_cast<unsigned long long>(__builtin_bit_cast(u64, value)));
    return text;
}

std::string format_value(ValType type, const VMVal& value)
{
    switch (type.kind) {
    case ValKind::I32:
        return std::to_string(value.i32_value());
    case ValKind::I64:
        return std::to_string(value.i64_value());
    case ValKind::F32:
        return format_f32(value.f32_value());
    case ValKind::F64:
        return format_f64(value.f64_value());
    case ValKind::Ref:
        return value.ref() ? "ref" : "null";
    default:
        return "?";
    }
}

void log_i32(runtime::VMContext*, VMVal* values) { std::printf("log-i32 %d\n", values[0].i32_value()); }
void log_i64(runtime::VMContext*, VMVal* values) { std::printf("log-i64 %lld\n", static_cast<long long>(values[0].i64_value())); }
void log_f32(runtime::VMContext*, VMVal* values) { std::printf("log-f32 %s\n", format_f32(values[0].f32_value()).c_str()); }
void log_f64(runtime::VMContext*, VMVal* values) { std::printf("log-f64 %s\n", format_f64(values[0].f64_value()).c_str()); }

void log_v128(runtime::VMContext*, VMVal* values)
{
    u32 lanes[4];
    __builtin_memcpy(lanes, values[0].bytes, 16);
    std::printf("log-v128 %08x %08x %08x %08x\n", lanes[0], lanes[1], lanes[2], lanes[3]);
}

struct LogImport {
    const char* name;
    ValType type;
    runtime::VMArrayCall call;
};

const LogImport kLogImports[] = {
    { "log-i32", ValType::i32(), log_i32 },
    { "log-i64", ValType::i64(), log_i64 },
    { "log-f32", ValType::f32(), log_f32 },
    { "log-f64", ValType::f64(), log_f64 },
    { "log-v128", ValType::v128(), log_v128 },
};

// The binary module in `path`; a ".wat" file (a regression case) is encoded first.
bool read_module(const std::string& path, Vector<u8>& wasm)
{
    std::ifstream file(path, std::ios::binary);
    if (!file)
        return false;
    std::stringstream buffer;
    buffer << file.rdbuf();
    std::string bytes = buffer.str();
    if (path.ends_with(".wat")) {
        auto encoded = text::wat_to_wasm(StringView(bytes));
        if (encoded.is_error()) {
            std::printf("# wat: %s\n", encoded.error().message());
            return false;
        }
        wasm = std::move(encoded.value());
        return true;
    }
    if (wasm.try_resize(bytes.size()).is_error())
        return false;
    __builtin_memcpy(wasm.data(), bytes.data(), bytes.size());
    return true;
}

// "memory PAGES HASH" for the exported memory, printed after every call: a store that
// no later load reads still shows. The hash is FNV-1a over little-endian 32-bit words.
void print_memory(const runtime::Memory& memory)
{
    u32 hash = 2166136261u;
    const u8* bytes = memory.base();
    for (u64 offset = 0; offset + 4 <= memory.size_bytes(); offset += 4) {
        u32 word;
        __builtin_memcpy(&word, bytes + offset, 4);
        hash = (hash ^ word) * 16777619u;
    }
    std::printf("memory %llu %08x\n", static_cast<unsigned long long>(memory.size_pages()), hash);
}

bool has_v128(Span<const ValType> types)
{
    for (const ValType& type : types) {
        if (type.kind == ValKind::V128)
            return true;
    }
    return false;
}

// Prints one module's transcript.
void run_module(const char* path, const compile::CompileOptions& options)
{
    std::string name(path);
    if (auto slash = name.rfind('/'); slash != std::string::npos)
        name = name.substr(slash + 1);
    std::printf("module %s\n", name.c_str());

    Vector<u8> wasm;
    if (!read_module(path, wasm)) {
        std::printf("error\n# cannot read %s\n", path);
        return;
    }
    auto compiled = compile::load_and_compile(std::move(wasm), Features {}, options);
    if (compiled.is_error()) {
        std::printf("error\n# compile: %s\n", compiled.error().message());
        return;
    }
    auto store = MUST(runtime::Store::create());
    runtime::Linker linker;
    for (const LogImport& import : kLogImports) {
        u32 type_id = MUST(store->types().intern_function(Span<const ValType>(&import.type, 1), {}));
        auto* function = MUST(store->create_host_function(type_id, import.call));
        MUST(linker.define(StringView("fuzzing-support"), StringView(import.name, __builtin_strlen(import.name)),
                           runtime::Extern::from(function)));
    }
    auto instance = store->instantiate(*compiled.value().module, linker);
    if (instance.is_error()) {
        std::printf("error\n# instantiate: %s\n", instance.error().message());
        return;
    }

    const Module& module = compiled.value().module->module();
    const runtime::VMFuncRef* hang_limit_initializer = nullptr;
    const runtime::Memory* memory = nullptr;
    for (const Export& entry : module.exports) {
        if (entry.kind == ExternKind::Func && entry.name == StringView("hangLimitInitializer"))
            hang_limit_initializer = instance.value()->function(entry.index);
        if (entry.kind == ExternKind::Memory && !memory)
            memory = instance.value()->memory(entry.index);
    }
    for (const Export& entry : module.exports) {
        if (entry.kind != ExternKind::Func)
            continue;
        std::printf("call %.*s\n", static_cast<int>(entry.name.size()), entry.name.data());
        u32 type = module.functions[entry.index].type_index;
        Span<const ValType> params = module.func_params(type);
        Span<const ValType> results = module.func_results(type);
        // NOTE: JavaScript cannot pass or receive a v128, so V8 refuses such calls.
        if (has_v128(params) || has_v128(results)) {
            std::printf("skip\n");
            continue;
        }
        if (hang_limit_initializer) {
            auto reset = compile::invoke(*store, *hang_limit_initializer, {});
            if (reset.is_error() || reset.value().trap) {
                std::printf("error\n# hangLimitInitializer failed\n");
                continue;
            }
        }
        std::vector<VMVal> args(params.size());
        auto outcome = compile::invoke(*store, *instance.value()->function(entry.index),
                                       Span<const VMVal>(args.data(), args.size()));
        if (outcome.is_error()) {
            std::printf("error\n# invoke: %s\n", outcome.error().message());
            continue;
        }
        if (outcome.value().trap) {
            std::printf("trap\n# %s\n", trap_message(outcome.value().trap->kind));
        } else {
            std::string line = "result";
            for (usize i = 0; i < results.size(); ++i)
                line += " " + format_value(results[i], outcome.value().results[i]);
            std::printf("%s\n", line.c_str());
        }
        if (memory)
            print_memory(*memory);
    }
}

int wat2wasm(const char* input, const char* output)
{
    Vector<u8> wasm;
    if (!read_module(input, wasm)) {
        std::fprintf(stderr, "cannot encode %s\n", input);
        return 1;
    }
    std::ofstream file(output, std::ios::binary);
    file.write(reinterpret_cast<const char*>(wasm.data()), static_cast<std::streamsize>(wasm.size()));
    return file ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc == 4 && std::string(argv[1]) == "--wat2wasm")
        return wat2wasm(argv[2], argv[3]);
    compile::CompileOptions options;
    int first = 1;
    if (argc >= 3 && std::string(argv[1]) == "--tier") {
        auto tier = compile::parse_tier(StringView(argv[2]));
        if (!tier) {
            std::fprintf(stderr, "difffuzz_run: unknown tier '%s' (baseline, optimized, tiered)\n", argv[2]);
            return 2;
        }
        options.tier = *tier;
        first = 3;
    }
    // --lazy: each function compiled at its first call (CompileOptions::lazy).
    if (argc > first && std::string(argv[first]) == "--lazy") {
        options.lazy = true;
        ++first;
    }
    if (options.tier == compile::Tier::Tiered) {
        options.tier_up_threshold = 3;
        options.tier_up_synchronous = true;
    }
    if (argc <= first) {
        std::fprintf(stderr, "usage: difffuzz_run [--tier baseline|optimized|tiered] [--lazy] FILE.wasm|FILE.wat...\n"
                             "       difffuzz_run --wat2wasm IN.wat OUT.wasm\n");
        return 2;
    }
    for (int i = first; i < argc; ++i) {
        run_module(argv[i], options);
        // A crash in a later module must not lose this module's transcript.
        std::fflush(stdout);
    }
    return 0;
}
