#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

#include "engine/opcode.h"

using namespace wk;
using namespace wk::engine;

TEST(OpcodeTable, EncodingsAreUniqueAndRoundTrip)
{
    std::set<std::pair<u8, u32>> seen;
    for (usize i = 0; i < kOpcodeCount; ++i) {
        const auto& info = kOpcodeInfos[i];
        EXPECT_TRUE(seen.insert({ info.prefix, info.code }).second) << info.name;
        EXPECT_TRUE(info.prefix == 0 || is_prefix_byte(info.prefix)) << info.name;
        if (info.prefix == 0)
            EXPECT_LT(info.code, 256u) << info.name;
        auto found = opcode_from_encoding(info.prefix, info.code);
        ASSERT_TRUE(found.has_value()) << info.name;
        EXPECT_EQ(static_cast<usize>(*found), i) << info.name;
    }
}

TEST(OpcodeTable, NamesAreUniqueExceptEncodingVariants)
{
    std::set<std::string> names;
    std::set<std::string> shared;
    for (usize i = 0; i < kOpcodeCount; ++i) {
        std::string name = kOpcodeInfos[i].name;
        if (!names.insert(name).second)
            shared.insert(name);
        auto found = opcode_from_name(name);
        ASSERT_TRUE(found.has_value()) << name;
        EXPECT_STREQ(opcode_name(*found), name.c_str());
    }
    EXPECT_EQ(shared, (std::set<std::string> { "select", "ref.test", "ref.cast", "ref.cast_desc_eq" }));
    EXPECT_EQ(*opcode_from_name("select"), Opcode::Select);
    EXPECT_EQ(*opcode_from_name("ref.test"), Opcode::RefTest);
    EXPECT_FALSE(opcode_from_name("i32.bogus").has_value());
    EXPECT_FALSE(opcode_from_name("").has_value());
}

TEST(OpcodeTable, KnownEncodings)
{
    EXPECT_EQ(*opcode_from_encoding(0, 0x6A), Opcode::I32Add);
    EXPECT_EQ(*opcode_from_encoding(0xFC, 17), Opcode::TableFill);
    EXPECT_EQ(*opcode_from_encoding(0xFD, 0x113), Opcode::I32x4RelaxedDotI8x16I7x16AddS);
    EXPECT_EQ(*opcode_from_encoding(0xFE, 0x4E), Opcode::I64AtomicRmw32CmpxchgU);
    EXPECT_EQ(*opcode_from_encoding(0xFB, 0x26), Opcode::BrOnCastDescEqFail);
    EXPECT_EQ(*opcode_from_encoding(0xFC, 22), Opcode::I64MulWideU);
    EXPECT_EQ(*opcode_from_encoding(0, 0x18), Opcode::Delegate);
    EXPECT_FALSE(opcode_from_encoding(0, 0xFF).has_value());
    EXPECT_FALSE(opcode_from_encoding(0xFD, 154).has_value());
    EXPECT_FALSE(opcode_from_encoding(0xFC, 0xFFFFFFFF).has_value());
    EXPECT_FALSE(opcode_from_encoding(0x12, 0).has_value());
}

TEST(OpcodeTable, SignaturesAndAlignment)
{
    const auto& add = opcode_info(Opcode::I64Add128);
    ASSERT_TRUE(add.has_signature);
    EXPECT_EQ(add.param_count, 4);
    EXPECT_EQ(add.result_count, 2);
    EXPECT_EQ(add.results[1], SigType::I64);
    const auto& store = opcode_info(Opcode::F64Store);
    EXPECT_EQ(store.align_log2, 3);
    EXPECT_EQ(store.param_count, 2);
    EXPECT_EQ(store.params[0], SigType::Address);
    EXPECT_EQ(store.params[1], SigType::F64);
    EXPECT_EQ(store.result_count, 0);
    EXPECT_EQ(opcode_info(Opcode::V128Load).align_log2, 4);
    EXPECT_EQ(opcode_info(Opcode::I32AtomicRmw16CmpxchgU).align_log2, 1);
    EXPECT_FALSE(opcode_info(Opcode::Call).has_signature);
    // Every memory access has an address operand and a natural alignment.
    for (usize i = 0; i < kOpcodeCount; ++i) {
        const auto& info = kOpcodeInfos[i];
        if (info.imm == ImmKind::MemArg || info.imm == ImmKind::MemArgLane) {
            ASSERT_TRUE(info.has_signature) << info.name;
            EXPECT_EQ(info.params[0], SigType::Address) << info.name;
        } else if (info.imm != ImmKind::Lane) {
            EXPECT_EQ(info.align_log2, 0) << info.name;
        }
    }
}

// A lane instruction's lane size is in the table (what the validator bounds the lane index
// by); checked here against the shape its name starts with.
TEST(OpcodeTable, LaneInstructionsCarryTheirLaneSize)
{
    usize lane_rows = 0;
    for (usize i = 0; i < kOpcodeCount; ++i) {
        const auto& info = kOpcodeInfos[i];
        if (info.imm != ImmKind::Lane)
            continue;
        ++lane_rows;
        std::string name(info.name);
        u32 lanes = 16u >> info.align_log2;
        if (name.starts_with("i8x16"))
            EXPECT_EQ(lanes, 16u) << name;
        else if (name.starts_with("i16x8"))
            EXPECT_EQ(lanes, 8u) << name;
        else if (name.starts_with("i32x4") || name.starts_with("f32x4"))
            EXPECT_EQ(lanes, 4u) << name;
        else if (name.starts_with("i64x2") || name.starts_with("f64x2"))
            EXPECT_EQ(lanes, 2u) << name;
        else
            ADD_FAILURE() << "lane instruction of unknown shape: " << name;
    }
    EXPECT_EQ(lane_rows, 14u);
}
