#include <string_view>

#include "engine/module.h"
#include "engine/text/wat.h"
#include "hosted/cli.h"

namespace wk::hosted {

char const* const kWat2WasmUsage = R"text(usage: wasmkern wat2wasm IN.wat -o OUT.wasm [--no-check]

Encodes a text module in the binary format and writes it to OUT.wasm.
The result is decoded and validated first unless --no-check is given.
Errors: "IN.wat:LINE:COL: message" for the text, "IN.wat: offset 0x..: message
(in the encoded binary)" for validation; exit status 1.
)text";

int wat2wasm_command(Arguments arguments)
{
    char const* input = nullptr;
    char const* output = nullptr;
    bool check = true;
    for (usize i = 0; i < arguments.size(); ++i) {
        std::string_view argument = arguments[i];
        if (is_help(argument)) {
            std::fputs(kWat2WasmUsage, stdout);
            return kExitOk;
        }
        if (argument == "-o") {
            if (i + 1 == arguments.size())
                return usage_error("wat2wasm: -o needs a file name", kWat2WasmUsage);
            if (output)
                return usage_error("wat2wasm: -o given twice", kWat2WasmUsage);
            output = arguments[++i];
        } else if (argument == "--no-check") {
            check = false;
        } else if (is_option(argument)) {
            return usage_error(std::string("wat2wasm: unknown option '") + arguments[i] + "'", kWat2WasmUsage);
        } else if (input) {
            return usage_error("wat2wasm: more than one input file", kWat2WasmUsage);
        } else {
            input = arguments[i];
        }
    }
    if (!input)
        return usage_error("wat2wasm: missing IN.wat", kWat2WasmUsage);
    if (!output)
        return usage_error("wat2wasm: missing -o OUT.wasm", kWat2WasmUsage);

    auto source = read_file(input);
    if (!source)
        return kExitFailure;
    auto encoded = engine::text::wat_to_wasm(*source);
    if (!encoded) {
        print_text_error(input, *source, encoded.error());
        return kExitFailure;
    }
    if (check) {
        auto module = engine::decode_module(encoded->span());
        if (!module) {
            print_binary_error(input, module.error(), kEncodedNote);
            return kExitFailure;
        }
        if (auto valid = engine::validate_module(*module); !valid) {
            print_binary_error(input, valid.error(), kEncodedNote);
            return kExitFailure;
        }
    }
    return write_file(output, encoded->span()) ? kExitOk : kExitFailure;
}

} // namespace wk::hosted
