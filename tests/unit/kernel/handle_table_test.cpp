#include <gtest/gtest.h>

#include <set>

#include "kernel/object/handle_table.h"

using namespace wk;
using namespace wk::kernel::object;

namespace {

// An object that counts its destructions, of a type the test chooses.
class TestObject final : public KernelObject {
public:
    TestObject(ObjectType type, int* destroyed)
        : m_type(type)
        , m_destroyed(destroyed)
    {
    }
    ~TestObject() override { ++*m_destroyed; }
    ObjectType type() const override { return m_type; }

private:
    ObjectType m_type;
    int* m_destroyed;
};

RefPtr<KernelObject> make(ObjectType type, int* destroyed)
{
    return adopt_ref(*static_cast<KernelObject*>(new TestObject(type, destroyed)));
}

TEST(HandleTable, AddGetClose)
{
    int destroyed = 0;
    HandleTable table(0x1234'5678);
    auto value = table.add(make(ObjectType::Process, &destroyed), rights::kWait | rights::kKill);
    ASSERT_TRUE(value.has_value());
    EXPECT_NE(*value, 0u);
    EXPECT_LT(*value, 0x8000'0000u);
    EXPECT_EQ(table.count(), 1u);
    auto found = table.get(*value, ObjectType::Process, rights::kKill);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->rights, rights::kWait | rights::kKill);
    found->object = nullptr;
    EXPECT_EQ(destroyed, 0);
    EXPECT_EQ(table.close(*value), Errno::Success);
    EXPECT_EQ(destroyed, 1); // the last reference was the handle's
    EXPECT_EQ(table.count(), 0u);
    EXPECT_EQ(table.close(*value), Errno::BadF);
}

TEST(HandleTable, WrongTypeAndMissingRights)
{
    int destroyed = 0;
    HandleTable table(99);
    u32 value = *table.add(make(ObjectType::Process, &destroyed), rights::kWait);
    EXPECT_EQ(table.get(value, ObjectType::Resource, 0).error(), Errno::Inval);
    EXPECT_EQ(table.get(value, ObjectType::Process, rights::kKill).error(), Errno::NotCapable);
    EXPECT_EQ(table.get(value, ObjectType::Process, rights::kWait | rights::kKill).error(), Errno::NotCapable);
    EXPECT_TRUE(table.get(value, ObjectType::None, rights::kWait).has_value());
    // Duplicating needs kDuplicate, which this handle lacks.
    EXPECT_EQ(table.duplicate(value, rights::kAll).error(), Errno::NotCapable);
}

TEST(HandleTable, DuplicateReducesRights)
{
    int destroyed = 0;
    HandleTable table(7);
    u32 value = *table.add(make(ObjectType::Resource, &destroyed), rights::kDuplicate | rights::kPower | rights::kInspect);
    auto reduced = table.duplicate(value, rights::kInspect | rights::kKill);
    ASSERT_TRUE(reduced.has_value());
    EXPECT_NE(*reduced, value);
    EXPECT_EQ(table.get(*reduced, ObjectType::Resource, 0)->rights, rights::kInspect); // kKill was never there
    EXPECT_EQ(table.get(*reduced, ObjectType::Resource, rights::kPower).error(), Errno::NotCapable);
    EXPECT_EQ(table.close(value), Errno::Success);
    EXPECT_EQ(destroyed, 0); // the duplicate still holds it
    EXPECT_EQ(table.close(*reduced), Errno::Success);
    EXPECT_EQ(destroyed, 1);
}

TEST(HandleTable, StaleValueFailsAfterReuse)
{
    int destroyed = 0;
    HandleTable table(0x2468'ACE0);
    std::set<u32> seen;
    // Fill and empty the table several times: every value is new, and an old one never finds
    // the object now in its slot.
    std::vector<u32> old_values;
    for (int round = 0; round < 3; ++round) {
        std::vector<u32> values;
        for (u32 i = 0; i < HandleTable::kCapacity; ++i) {
            auto value = table.add(make(ObjectType::Channel, &destroyed), rights::kRead);
            ASSERT_TRUE(value.has_value());
            EXPECT_TRUE(seen.insert(*value).second) << "value reused: " << *value;
            values.push_back(*value);
        }
        EXPECT_EQ(table.add(make(ObjectType::Channel, &destroyed), 0).error(), Errno::MFile);
        for (u32 old : old_values)
            EXPECT_EQ(table.get(old, ObjectType::None, 0).error(), Errno::BadF);
        for (u32 value : values)
            EXPECT_EQ(table.close(value), Errno::Success);
        old_values = values;
    }
    EXPECT_EQ(destroyed, 3 * static_cast<int>(HandleTable::kCapacity) + 3); // the refused ones too
}

TEST(HandleTable, ClosedValueNotReusedSoon)
{
    int destroyed = 0;
    HandleTable table(0x0BAD'F00D);
    u32 first = *table.add(make(ObjectType::Process, &destroyed), 0);
    EXPECT_EQ(table.close(first), Errno::Success);
    // First in, first out: the freed slot comes back only after every other free slot.
    for (u32 i = 0; i < HandleTable::kCapacity - 1; ++i) {
        u32 value = *table.add(make(ObjectType::Process, &destroyed), 0);
        EXPECT_NE(value, first);
        EXPECT_EQ(table.close(value), Errno::Success);
    }
    u32 reused_slot = *table.add(make(ObjectType::Process, &destroyed), 0);
    EXPECT_NE(reused_slot, first); // same slot, next generation
    EXPECT_EQ(table.get(first, ObjectType::None, 0).error(), Errno::BadF);
}

TEST(HandleTable, ForgedValuesFail)
{
    int destroyed = 0;
    HandleTable table(0x5555'1234);
    u32 value = *table.add(make(ObjectType::Process, &destroyed), rights::kAll);
    u32 misses = 0;
    for (u32 guess : { 0u, 1u, 0xFFFF'FFFFu, 0x8000'0000u, value ^ 1u, value ^ (1u << 10), value ^ (1u << 30),
                       value | 0x8000'0000u }) {
        auto found = table.get(guess, ObjectType::None, 0);
        misses += found ? 0 : 1;
        if (!found)
            EXPECT_EQ(found.error(), Errno::BadF);
    }
    EXPECT_EQ(misses, 8u);
    EXPECT_EQ(table.close(0), Errno::BadF);
    EXPECT_EQ(table.take(0xFFFF'FFFFu, 0).error(), Errno::BadF);
}

TEST(HandleTable, SaltsDifferValues)
{
    int destroyed = 0;
    HandleTable a(0x1111'1111);
    HandleTable b(0x2222'2222);
    u32 in_a = *a.add(make(ObjectType::Process, &destroyed), 0);
    u32 in_b = *b.add(make(ObjectType::Process, &destroyed), 0);
    EXPECT_NE(in_a, in_b);
    EXPECT_EQ(b.get(in_a, ObjectType::None, 0).error(), Errno::BadF);
}

TEST(HandleTable, TakeMovesTheReference)
{
    int destroyed = 0;
    HandleTable table(3);
    u32 value = *table.add(make(ObjectType::Channel, &destroyed), rights::kRead);
    EXPECT_EQ(table.take(value, rights::kTransfer).error(), Errno::NotCapable);
    u32 movable = *table.add(make(ObjectType::Channel, &destroyed), rights::kTransfer | rights::kRead);
    auto taken = table.take(movable, rights::kTransfer);
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ(taken->rights, rights::kTransfer | rights::kRead);
    EXPECT_EQ(table.get(movable, ObjectType::None, 0).error(), Errno::BadF);
    HandleTable other(4);
    u32 moved = *other.add(std::move(taken->object), taken->rights & ~rights::kTransfer);
    EXPECT_EQ(other.get(moved, ObjectType::Channel, rights::kTransfer).error(), Errno::NotCapable);
    EXPECT_EQ(destroyed, 0);
}

TEST(HandleTable, CloseOnDeath)
{
    int destroyed = 0;
    RefPtr<KernelObject> shared = make(ObjectType::Process, &destroyed);
    u64 live_before = KernelObject::live_count();
    {
        HandleTable dying(11);
        for (int i = 0; i < 10; ++i)
            ASSERT_TRUE(dying.add(make(ObjectType::Channel, &destroyed), 0).has_value());
        ASSERT_TRUE(dying.add(shared, 0).has_value());
        EXPECT_EQ(KernelObject::live_count(), live_before + 10);
        HandleInfo records[4];
        EXPECT_EQ(dying.list(Span<HandleInfo>(records, 4)), 11u);
        EXPECT_EQ(records[0].type, ObjectType::Channel);
    }
    EXPECT_EQ(destroyed, 10); // the table's death closed them; `shared` still holds one
    EXPECT_EQ(KernelObject::live_count(), live_before);
    EXPECT_EQ(shared->ref_count(), 1u);
}

} // namespace
