#include <gtest/gtest.h>

#include <vector>

#include "engine/binary/instruction.h"

using namespace wk;
using namespace wk::engine;

namespace {

std::vector<u8> signed_leb(i64 value)
{
    std::vector<u8> out;
    for (;;) {
        u8 byte = value & 0x7F;
        value >>= 7;
        bool done = (value == 0 && !(byte & 0x40)) || (value == -1 && (byte & 0x40));
        out.push_back(done ? byte : byte | 0x80);
        if (done)
            return out;
    }
}

Instruction read_one(std::vector<u8> bytes, usize* consumed = nullptr)
{
    bytes.push_back(0x0B); // keeps the fast path's lookahead in bounds, as in real bodies
    Reader reader(ReadonlyBytes(bytes.data(), bytes.size()), 0, bytes.size());
    Instruction instruction;
    auto result = read_instruction(reader, instruction);
    EXPECT_TRUE(result.has_value()) << result.error().message();
    if (consumed)
        *consumed = reader.offset();
    return instruction;
}

} // namespace

// Constants decode to the same value whether the inline fast path (short
// encodings) or the general reader (long ones) handles them.
TEST(Instruction, ConstantsOfEveryLength)
{
    for (i64 value : { 0LL, 1LL, -1LL, 63LL, 64LL, -64LL, -65LL, 8191LL, -8192LL, 1LL << 20, -(1LL << 27), (1LL << 31) - 1,
                       -(1LL << 31) }) {
        std::vector<u8> bytes { 0x41 };
        auto leb = signed_leb(value);
        bytes.insert(bytes.end(), leb.begin(), leb.end());
        usize consumed = 0;
        Instruction instruction = read_one(bytes, &consumed);
        EXPECT_EQ(instruction.opcode, Opcode::I32Const);
        EXPECT_EQ(static_cast<i64>(instruction.bits), value);
        EXPECT_EQ(consumed, bytes.size());
    }
    for (i64 value : { 0LL, -1LL, 1LL << 40, -(1LL << 50), (1LL << 62) - 1, -(1LL << 62), static_cast<long long>(INT64_MAX), static_cast<long long>(INT64_MIN) }) {
        std::vector<u8> bytes { 0x42 };
        auto leb = signed_leb(value);
        bytes.insert(bytes.end(), leb.begin(), leb.end());
        usize consumed = 0;
        Instruction instruction = read_one(bytes, &consumed);
        EXPECT_EQ(instruction.opcode, Opcode::I64Const);
        EXPECT_EQ(static_cast<i64>(instruction.bits), value);
        EXPECT_EQ(consumed, bytes.size());
    }
    // Padded (non-minimal) encodings are allowed up to the size limit.
    EXPECT_EQ(static_cast<i64>(read_one({ 0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F }).bits), -1);
    EXPECT_EQ(read_one({ 0x41, 0x80, 0x80, 0x00 }).bits, 0u);
}

TEST(Instruction, ConstantOverflowIsMalformed)
{
    std::vector<u8> bytes { 0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x0B };
    Reader reader(ReadonlyBytes(bytes.data(), bytes.size()), 0, bytes.size());
    Instruction instruction;
    auto result = read_instruction(reader, instruction);
    ASSERT_FALSE(result.has_value());
    EXPECT_STREQ(result.error().message(), "integer too large");
    EXPECT_EQ(result.error().offset(), 1u);
}

TEST(Instruction, MemargsBlockTypesAndIndices)
{
    Instruction load = read_one({ 0x28, 0x02, 0x80, 0x08 });
    EXPECT_EQ(load.opcode, Opcode::I32Load);
    EXPECT_EQ(load.memarg.align_log2, 2u);
    EXPECT_EQ(load.memarg.offset, 1024u);
    EXPECT_EQ(load.memarg.memory, 0u);
    // Bit 6 of the flags: a memory index follows.
    Instruction multi = read_one({ 0x36, 0x42, 0x03, 0x10 });
    EXPECT_EQ(multi.memarg.align_log2, 2u);
    EXPECT_EQ(multi.memarg.memory, 3u);
    EXPECT_EQ(multi.memarg.offset, 16u);

    EXPECT_EQ(read_one({ 0x02, 0x40 }).block.kind, BlockType::Kind::Empty);
    Instruction value_block = read_one({ 0x03, 0x7C });
    EXPECT_EQ(value_block.block.kind, BlockType::Kind::Value);
    EXPECT_EQ(value_block.block.value, ValType::f64());
    Instruction typed_block = read_one({ 0x04, 0x05 });
    EXPECT_EQ(typed_block.block.kind, BlockType::Kind::Index);
    EXPECT_EQ(typed_block.block.index, 5u);
    Instruction ref_block = read_one({ 0x02, 0x63, 0x6E });
    EXPECT_EQ(ref_block.block.value, ValType::ref(HeapKind::Any, true));

    EXPECT_EQ(read_one({ 0x20, 0xE5, 0x8E, 0x26 }).index0, 624485u);
    Instruction table = read_one({ 0x0E, 0x02, 0x00, 0x01, 0x02 });
    EXPECT_EQ(table.list_count, 2u);
    EXPECT_EQ(table.index0, 2u);
    Instruction simd = read_one({ 0xFD, 0x88, 0x02 }); // 0xFD 0x108: f64x2.relaxed_nmadd
    EXPECT_EQ(simd.opcode, Opcode::F64x2RelaxedNmadd);
}
