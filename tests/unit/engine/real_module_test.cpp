#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "base/format_sink.h"
#include "engine/module.h"

using namespace wk;
using namespace wk::engine;

namespace {

struct StringSink final : FormatSink {
    std::string text;
    void write(StringView piece) override { text.append(piece.data(), piece.size()); }
};

std::vector<u8> read_file(const char* path)
{
    std::ifstream in(path, std::ios::binary);
    return std::vector<u8>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

} // namespace

// sample.c compiled by clang-19 for wasm32-wasi (see CMakeLists.txt).
TEST(RealModule, ClangOutputDecodesValidatesAndDumps)
{
    auto bytes = read_file(WK_SAMPLE_WASM);
    ASSERT_GT(bytes.size(), 100u);
    auto module = decode_module(ReadonlyBytes(bytes.data(), bytes.size()));
    ASSERT_TRUE(module.has_value()) << module.error().message() << " @" << module.error().offset();
    auto valid = validate_module(*module);
    ASSERT_TRUE(valid.has_value()) << valid.error().message() << " @" << valid.error().offset();
    EXPECT_GE(module->codes.size(), 4u);
    EXPECT_EQ(module->memories.size(), 1u);
    bool found = false;
    for (const Export& entry : module->exports)
        found |= entry.name == "crc32" && entry.kind == ExternKind::Func;
    EXPECT_TRUE(found);
    ASSERT_EQ(module->tables.size(), 1u); // the indirect call through `steps`
    EXPECT_GE(module->elements.size(), 1u);

    StringSink sink;
    dump_module(*module, sink);
    EXPECT_NE(sink.text.find("\"crc32\" -> func"), std::string::npos) << sink.text;
    EXPECT_NE(sink.text.find("functions: "), std::string::npos);
    EXPECT_NE(sink.text.find("memory 0: i32"), std::string::npos);
}

// Flipping any single byte of a real module must give a result or a clean
// error, never a crash; with the sanitizers on this also checks for UB.
TEST(RealModule, EveryByteFlipIsHandled)
{
    auto original = read_file(WK_SAMPLE_WASM);
    ASSERT_FALSE(original.empty());
    usize rejected = 0;
    for (usize i = 0; i < original.size(); ++i) {
        for (u8 mask : { 0x01, 0x80, 0xFF }) {
            auto bytes = original;
            bytes[i] ^= mask;
            auto module = decode_module(ReadonlyBytes(bytes.data(), bytes.size()));
            if (!module) {
                EXPECT_EQ(module.error().kind(), ErrorKind::Malformed);
                EXPECT_TRUE(module.error().has_offset());
                ++rejected;
                continue;
            }
            auto valid = validate_module(*module);
            if (!valid) {
                EXPECT_TRUE(valid.error().has_offset());
                ++rejected;
            }
        }
        // Truncation at every length: an error points inside the bytes given.
        auto truncated = decode_module(ReadonlyBytes(original.data(), i));
        if (!truncated) {
            EXPECT_EQ(truncated.error().kind(), ErrorKind::Malformed);
            EXPECT_LE(truncated.error().offset(), i);
        } else {
            (void)validate_module(*truncated);
        }
    }
    EXPECT_GT(rejected, original.size());
}
