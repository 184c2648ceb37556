#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "engine/module.h"

// Hand-assembles binary modules for tests.
namespace test {

using ByteVector = std::vector<wk::u8>;

inline void leb(ByteVector& out, wk::u64 value)
{
    do {
        wk::u8 byte = value & 0x7F;
        value >>= 7;
        out.push_back(value ? byte | 0x80 : byte);
    } while (value);
}

inline ByteVector cat(std::initializer_list<ByteVector> parts)
{
    ByteVector out;
    for (const auto& part : parts)
        out.insert(out.end(), part.begin(), part.end());
    return out;
}

inline ByteVector vec(std::initializer_list<ByteVector> items)
{
    ByteVector out;
    leb(out, items.size());
    for (const auto& item : items)
        out.insert(out.end(), item.begin(), item.end());
    return out;
}

inline ByteVector section(wk::u8 id, const ByteVector& contents)
{
    ByteVector out { id };
    leb(out, contents.size());
    out.insert(out.end(), contents.begin(), contents.end());
    return out;
}

inline ByteVector name(const std::string& text)
{
    ByteVector out;
    leb(out, text.size());
    out.insert(out.end(), text.begin(), text.end());
    return out;
}

// A function body: local runs (count, type byte) and instruction bytes (without the final end).
inline ByteVector body(std::initializer_list<ByteVector> locals, const ByteVector& code)
{
    ByteVector inner = vec(locals);
    inner.insert(inner.end(), code.begin(), code.end());
    inner.push_back(0x0B);
    ByteVector out;
    leb(out, inner.size());
    out.insert(out.end(), inner.begin(), inner.end());
    return out;
}

inline ByteVector module(std::initializer_list<ByteVector> sections)
{
    ByteVector out { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 };
    for (const auto& s : sections)
        out.insert(out.end(), s.begin(), s.end());
    return out;
}

// One function of type (params) -> (results), with the given body.
inline ByteVector single_function(const ByteVector& params, const ByteVector& results, const ByteVector& code,
                             std::initializer_list<ByteVector> locals = {}, std::initializer_list<ByteVector> extra = {})
{
    ByteVector type { 0x60 };
    type.insert(type.end(), params.begin(), params.end());
    type.insert(type.end(), results.begin(), results.end());
    ByteVector out = module({ section(1, vec({ type })), section(3, vec({ { 0x00 } })) });
    for (const auto& s : extra)
        out.insert(out.end(), s.begin(), s.end());
    ByteVector code_section = section(10, vec({ body(locals, code) }));
    out.insert(out.end(), code_section.begin(), code_section.end());
    return out;
}

struct Outcome {
    bool decoded { false };
    bool valid { false };
    std::string message;
    wk::ErrorKind kind { wk::ErrorKind::Generic };
    wk::u64 offset { 0 };
    wk::u32 function { wk::engine::kNoIndex };
};

inline Outcome check(const ByteVector& bytes, wk::engine::Features features = {})
{
    Outcome outcome;
    auto module = wk::engine::decode_module(wk::ReadonlyBytes(bytes.data(), bytes.size()), features);
    if (!module) {
        outcome.message = module.error().message();
        outcome.kind = module.error().kind();
        outcome.offset = module.error().offset();
        return outcome;
    }
    outcome.decoded = true;
    auto valid = wk::engine::validate_module(*module);
    outcome.valid = valid.has_value();
    if (!valid) {
        outcome.message = valid.error().message();
        outcome.kind = valid.error().kind();
        outcome.offset = valid.error().offset();
        outcome.function = module->invalid_function;
    }
    return outcome;
}

} // namespace test
