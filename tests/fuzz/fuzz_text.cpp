// libFuzzer target for the text front end: bytes as a .wast script through the
// spec runner (parse_wast, then encode, decode and validate every module), and
// as a .wat module through wat_to_wasm, decode_module and validate_module.
#include <cstddef>
#include <cstdint>

#include "base/format_sink.h"
#include "engine/module.h"
#include "engine/spec/runner.h"
#include "engine/text/wat.h"

namespace {

class DiscardSink final : public wk::FormatSink {
public:
    void write(wk::StringView) override { }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    wk::StringView source(reinterpret_cast<char const*>(data), size);

    wk::engine::spec::Tally tally;
    DiscardSink failures;
    wk::engine::spec::run_script("fuzz.wast", source, tally, failures);
    // A script that does not parse is exactly one failed command.
    if (tally[wk::engine::spec::CommandClass::Script].failed > 1)
        __builtin_trap();

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
