// libFuzzer target: bytes → decode_module → validate_module.
#include <cstddef>
#include <cstdint>

#include "engine/module.h"

namespace {

// Errors must say what kind of failure they are and where, inside the input.
void check_error(wk::Error const& error, std::size_t size)
{
    if (error.kind() == wk::ErrorKind::OutOfMemory)
        return;
    if (error.kind() != wk::ErrorKind::Malformed && error.kind() != wk::ErrorKind::Invalid)
        __builtin_trap();
    if (!error.has_offset() || error.offset() > size)
        __builtin_trap();
    if (error.message() == nullptr || error.message()[0] == '\0')
        __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    auto module = wk::engine::decode_module(wk::ReadonlyBytes(data, size));
    if (!module) {
        check_error(module.error(), size);
        return 0;
    }
    auto valid = wk::engine::validate_module(*module);
    if (!valid)
        check_error(valid.error(), size);
    return 0;
}
