// compile_run FILE.wasm...: compiles each module, instantiates it with no-op
// "fuzzing-support" log functions (what binaryen's -ttf modules import) and calls every
// exported function with zero arguments. Prints results and traps; a crash is a bug.
// A robustness tool for generated modules, not a test.

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/compile/compiled_module.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"

using namespace wk;
using namespace wk::engine;
using runtime::VMVal;

namespace {

void log_value(runtime::VMContext*, VMVal*) { }

} // namespace

int main(int argc, char** argv)
{
    u32 calls = 0, traps = 0, skipped = 0;
    // --print: one line per export without parameters ("name: trap" or its i32/i64
    // results), for differential runs against another engine.
    bool print = argc > 1 && std::string(argv[1]) == "--print";
    for (int i = print ? 2 : 1; i < argc; ++i) {
        std::ifstream file(argv[i], std::ios::binary);
        std::stringstream buffer;
        buffer << file.rdbuf();
        std::string bytes = buffer.str();
        Vector<u8> wasm;
        MUST(wasm.try_resize(bytes.size()));
        __builtin_memcpy(wasm.data(), bytes.data(), bytes.size());
        auto compiled = compile::load_and_compile(std::move(wasm));
        if (compiled.is_error()) {
            std::printf("%s: %s\n", argv[i], compiled.error().message());
            ++skipped;
            continue;
        }
        auto store = MUST(runtime::Store::create());
        runtime::Linker linker;
        const char* names[] = { "log-i32", "log-i64", "log-f32", "log-f64" };
        ValType types[] = { ValType::i32(), ValType::i64(), ValType::f32(), ValType::f64() };
        for (u32 k = 0; k < 4; ++k) {
            u32 type_id = MUST(store->types().intern_function(Span<const ValType>(&types[k], 1), {}));
            auto* function = MUST(store->create_host_function(type_id, log_value));
            MUST(linker.define(StringView("fuzzing-support"), StringView(names[k], __builtin_strlen(names[k])),
                               runtime::Extern::from(function)));
        }
        auto instance = store->instantiate(*compiled.value().module, linker);
        if (instance.is_error()) {
            std::printf("%s: instantiate: %s\n", argv[i], instance.error().message());
            ++skipped;
            continue;
        }
        const Module& module = compiled.value().module->module();
        for (const Export& entry : module.exports) {
            if (entry.kind != ExternKind::Func)
                continue;
            u32 type = module.functions[entry.index].type_index;
            if (print && module.types[type].param_count != 0)
                continue;
            std::vector<VMVal> args(module.types[type].param_count);
            auto outcome = compile::invoke(*store, *instance.value()->function(entry.index),
                                           Span<const VMVal>(args.data(), args.size()));
            ++calls;
            if (outcome.is_error()) {
                std::printf("%s: invoke: %s\n", argv[i], outcome.error().message());
                continue;
            }
            if (outcome.value().trap)
                ++traps;
            if (print) {
                std::string line = std::string(entry.name.data(), entry.name.size()) + ":";
                if (outcome.value().trap) {
                    line += " trap";
                } else if (module.types[type].result_count == 1) {
                    ValKind kind = module.func_results(type)[0].kind;
                    if (kind == ValKind::I32)
                        line += " " + std::to_string(outcome.value().results[0].i32_value());
                    else if (kind == ValKind::I64)
                        line += " " + std::to_string(outcome.value().results[0].i64_value());
                    else
                        line += " f";
                } else if (module.types[type].result_count > 1) {
                    line += " m";
                }
                std::printf("%s\n", line.c_str());
            }
        }
    }
    if (!print)
        std::printf("%u calls, %u traps, %u modules skipped\n", calls, traps, skipped);
    return 0;
}
