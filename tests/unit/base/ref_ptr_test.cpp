#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/ref_ptr.h"
#include "checking_allocator.h"

using namespace wk;
using wk::test::CheckingAllocator;

namespace {

struct Object : RefCounted<Object> {
    static inline int destroyed = 0;
    explicit Object(int v)
        : value(v)
    {
    }
    ~Object() { ++destroyed; }
    int value;
};

// Larger than its base, to check that it is freed with its own size.
struct Derived : Object {
    static inline int derived_destroyed = 0;
    explicit Derived(int v)
        : Object(v)
    {
    }
    ~Derived() { ++derived_destroyed; }
    char padding[200] {};
};

struct SelfDestroying : RefCounted<SelfDestroying> {
    int* destroy_calls;
    explicit SelfDestroying(int* calls)
        : destroy_calls(calls)
    {
    }
    void destroy() { ++*destroy_calls; }
};

class RefPtrTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        Object::destroyed = 0;
        Derived::derived_destroyed = 0;
    }
    CheckingAllocator allocator;
};

} // namespace

TEST_F(RefPtrTest, LastReferenceDestroysAndFrees)
{
    auto created = try_make_ref_counted_in<Object>(allocator, 5);
    ASSERT_TRUE(created.has_value());
    RefPtr<Object> first = std::move(*created);
    EXPECT_EQ(first->ref_count(), 1u);
    EXPECT_EQ(allocator.live_blocks(), 1u);
    {
        RefPtr<Object> second = first;
        EXPECT_EQ(first->ref_count(), 2u);
        EXPECT_EQ(second->value, 5);
        EXPECT_TRUE(second == first);
    }
    EXPECT_EQ(first->ref_count(), 1u);
    RefPtr<Object> moved = std::move(first);
    EXPECT_TRUE(first.is_null());
    EXPECT_EQ(moved->ref_count(), 1u);
    EXPECT_EQ(Object::destroyed, 0);
    moved = nullptr;
    EXPECT_EQ(Object::destroyed, 1);
    EXPECT_EQ(allocator.live_blocks(), 0u);
}

TEST_F(RefPtrTest, DerivedObjectsAreFreedWithTheirOwnSize)
{
    RefPtr<Object> base;
    {
        RefPtr<Derived> derived = MUST(try_make_ref_counted_in<Derived>(allocator, 9));
        EXPECT_EQ(allocator.live_bytes(), sizeof(Derived));
        base = derived;
        EXPECT_EQ(base->ref_count(), 2u);
    }
    EXPECT_EQ(base->value, 9);
    base.clear();
    EXPECT_EQ(Derived::derived_destroyed, 1);
    EXPECT_EQ(Object::destroyed, 1);
    // CheckingAllocator has verified the size passed to deallocate.
    EXPECT_EQ(allocator.live_blocks(), 0u);
}

TEST_F(RefPtrTest, AllocationFailureIsAnError)
{
    allocator.fail_after(0);
    auto result = try_make_ref_counted_in<Object>(allocator, 1);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(Object::destroyed, 0);
}

TEST_F(RefPtrTest, LeakAndAdoptKeepTheCount)
{
    RefPtr<Object> pointer = MUST(try_make_ref_counted_in<Object>(allocator, 3));
    Object* raw = pointer.leak_ref();
    EXPECT_TRUE(pointer.is_null());
    EXPECT_EQ(raw->ref_count(), 1u);
    RefPtr<Object> adopted = adopt_ref(*raw);
    EXPECT_EQ(adopted->ref_count(), 1u);
    RefPtr<Object> shared(raw);
    EXPECT_EQ(raw->ref_count(), 2u);
}

TEST_F(RefPtrTest, CustomDestroyHook)
{
    int calls = 0;
    SelfDestroying object(&calls);
    {
        RefPtr<SelfDestroying> pointer = adopt_ref(object);
        RefPtr<SelfDestroying> copy = pointer;
        EXPECT_EQ(object.ref_count(), 2u);
    }
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(object.ref_count(), 0u);
}

TEST_F(RefPtrTest, DefaultAllocator)
{
    RefPtr<Object> pointer = MUST(try_make_ref_counted<Object>(11));
    EXPECT_EQ(pointer->value, 11);
    pointer.clear();
    EXPECT_EQ(Object::destroyed, 1);
}

TEST_F(RefPtrTest, ConcurrentCopiesDestroyExactlyOnce)
{
    RefPtr<Object> shared = MUST(try_make_ref_counted_in<Object>(allocator, 1));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([copy = shared]() mutable {
            for (int i = 0; i < 20000; ++i) {
                RefPtr<Object> local = copy;
                RefPtr<Object> other = std::move(local);
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    EXPECT_EQ(shared->ref_count(), 1u);
    shared.clear();
    EXPECT_EQ(Object::destroyed, 1);
    EXPECT_EQ(allocator.live_blocks(), 0u);
}
