// The spec runner's front-end stage on its own (runner.h: check_module), so that tools
// that only encode, decode and validate (the text fuzzer) need not link the compiler.
#include "engine/module.h"
#include "engine/spec/runner.h"

namespace wk::engine::spec {

std::optional<Rejection> check_module(text::ScriptModule const& script_module)
{
    auto binary = script_module.to_binary();
    if (!binary)
        return Rejection { Stage::Encode, binary.error() };
    auto module = decode_module(binary->span(), script_module.features);
    if (!module)
        return Rejection { Stage::Decode, module.error() };
    auto valid = validate_module(*module);
    if (!valid)
        return Rejection { Stage::Validate, valid.error() };
    return std::nullopt;
}

} // namespace wk::engine::spec
