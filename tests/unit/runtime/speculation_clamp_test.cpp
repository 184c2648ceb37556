// The runtime's Spectre v1 clamps (engine/runtime/speculation.h): the masks keep a range
// or index that fits and turn one that does not into 0, and the Memory and Table accesses
// that use them still behave as the spec says at and past their bounds.
#include <gtest/gtest.h>

#include "engine/runtime/memory.h"
#include "engine/runtime/speculation.h"
#include "engine/runtime/table.h"

namespace wk::engine::runtime {

namespace {

constexpr u64 kAll = ~u64 { 0 };

Limits sized(u64 min)
{
    Limits limits;
    limits.min = min;
    return limits;
}

} // namespace

TEST(SpeculationClamp, RangeMaskKeepsRangesThatFit)
{
    EXPECT_EQ(range_mask(0, 0, 0), kAll);
    EXPECT_EQ(range_mask(0, 16, 16), kAll);
    EXPECT_EQ(range_mask(15, 1, 16), kAll);
    EXPECT_EQ(range_mask(16, 0, 16), kAll); // an empty range at the end is in bounds
    EXPECT_EQ(range_mask(kAll - 8, 8, kAll), kAll);
}

TEST(SpeculationClamp, RangeMaskClearsRangesThatDoNotFit)
{
    EXPECT_EQ(range_mask(16, 1, 16), 0u);
    EXPECT_EQ(range_mask(15, 2, 16), 0u);
    EXPECT_EQ(range_mask(17, 0, 16), 0u);
    EXPECT_EQ(range_mask(0, 17, 16), 0u);
    EXPECT_EQ(range_mask(1, 0, 0), 0u);
    // offset + length wraps: the sum alone (1) would look in bounds.
    EXPECT_EQ(range_mask(kAll, 2, 16), 0u);
    EXPECT_EQ(range_mask(2, kAll, 16), 0u);
    EXPECT_EQ(range_mask(kAll, kAll, kAll), 0u);
}

TEST(SpeculationClamp, ClampRangeZeroesOffsetAndLength)
{
    ClampedRange kept = clamp_range(100, 28, 128);
    EXPECT_EQ(kept.offset, 100u);
    EXPECT_EQ(kept.length, 28u);
    ClampedRange past = clamp_range(100, 29, 128);
    EXPECT_EQ(past.offset, 0u);
    EXPECT_EQ(past.length, 0u);
    ClampedRange wrapped = clamp_range(u64 { 1 } << 63, u64 { 1 } << 63, 128);
    EXPECT_EQ(wrapped.offset, 0u);
    EXPECT_EQ(wrapped.length, 0u);
}

TEST(SpeculationClamp, ClampIndex)
{
    EXPECT_EQ(clamp_index(0, 3), 0u);
    EXPECT_EQ(clamp_index(2, 3), 2u);
    EXPECT_EQ(index_mask(2, 3), kAll);
    EXPECT_EQ(clamp_index(3, 3), 0u);
    EXPECT_EQ(index_mask(3, 3), 0u);
    EXPECT_EQ(clamp_index(kAll, 3), 0u);
    EXPECT_EQ(clamp_index(5, 0), 0u);
}

// The values reach the helpers through a volatile, so no constant folding can stand in for
// the inline assembly.
TEST(SpeculationClamp, MasksOfRunTimeValues)
{
    volatile u64 sizes[] = { 0, 1, 4096, kAll };
    volatile u64 offsets[] = { 0, 1, 4095, 4096, 4097, kAll - 1, kAll };
    for (u64 size : sizes) {
        for (u64 offset : offsets) {
            for (u64 length : { u64 { 0 }, u64 { 1 }, u64 { 2 }, kAll }) {
                u64 end = offset + length;
                bool fits = end >= offset && end <= size;
                EXPECT_EQ(range_mask(offset, length, size), fits ? kAll : 0) << offset << "+" << length << " in " << size;
            }
            EXPECT_EQ(index_mask(offset, size), offset < size ? kAll : 0) << offset << " in " << size;
        }
    }
}

TEST(SpeculationClamp, MemoryAccessesAtAndPastTheBound)
{
    auto memory = MUST(Memory::create(sized(1), {}));
    constexpr u64 kSize = 65536;
    u8 data[4] = { 1, 2, 3, 4 };
    EXPECT_TRUE(memory->write(kSize - 4, ReadonlyBytes(data, 4)));
    EXPECT_FALSE(memory->write(kSize - 3, ReadonlyBytes(data, 4)));
    EXPECT_TRUE(memory->write(kSize, ReadonlyBytes(data, 0)));
    EXPECT_FALSE(memory->write(kSize + 1, ReadonlyBytes(data, 0)));
    u8 out[4] = {};
    EXPECT_TRUE(memory->read(kSize - 4, Bytes(out, 4)));
    EXPECT_EQ(out[0], 1);
    EXPECT_EQ(out[3], 4);
    EXPECT_FALSE(memory->read(kAll - 1, Bytes(out, 4)));
    EXPECT_TRUE(memory->fill(kSize - 2, 9, 2));
    EXPECT_FALSE(memory->fill(kSize - 2, 7, 3));
    EXPECT_FALSE(memory->fill(kAll, 7, 2));
    // Refused accesses wrote nothing, at the clamp's target (offset 0) either.
    EXPECT_EQ(memory->base()[0], 0);
    EXPECT_EQ(memory->base()[kSize - 4], 1);
    EXPECT_EQ(memory->base()[kSize - 3], 2);
    EXPECT_EQ(memory->base()[kSize - 2], 9);
    EXPECT_EQ(memory->base()[kSize - 1], 9);
}

TEST(SpeculationClamp, TableAccessesAtAndPastTheBound)
{
    int a = 0, b = 0;
    ValType funcref = ValType::ref(HeapKind::Func, true);
    auto table = MUST(Table::create(funcref, sized(4), &a, {}));
    EXPECT_TRUE(table->set(3, &b));
    EXPECT_EQ(table->get(3), &b);
    EXPECT_FALSE(table->set(4, &b));
    EXPECT_FALSE(table->set(kAll, &b));
    EXPECT_EQ(table->get(4), nullptr);
    EXPECT_EQ(table->get(kAll), nullptr);
    EXPECT_FALSE(table->fill(kAll, &b, 2));
    EXPECT_FALSE(table->fill(1, &b, kAll));
    EXPECT_FALSE(Table::copy(*table, 0, *table, kAll, 2));
    EXPECT_FALSE(Table::copy(*table, 2, *table, 0, 3));
    void* items[] = { &b, &b };
    EXPECT_FALSE(table->init(3, items, 0, 2));
    EXPECT_FALSE(table->init(0, items, kAll, 2));
    // None of the refused calls wrote element 0 (where a clamped access would land).
    EXPECT_EQ(table->get(0), &a);
    EXPECT_EQ(table->get(1), &a);
    EXPECT_EQ(table->get(2), &a);
    EXPECT_TRUE(Table::copy(*table, 0, *table, 3, 1));
    EXPECT_EQ(table->get(0), &b);
    EXPECT_TRUE(table->init(2, items, 0, 2));
    EXPECT_EQ(table->get(2), &b);
    EXPECT_TRUE(table->fill(4, &b, 0));
}

} // namespace wk::engine::runtime
