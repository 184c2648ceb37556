#pragma once

#include <cstdlib>
#include <new>
#include <optional>
#include <unordered_map>

#include <gtest/gtest.h>

#include "base/allocator.h"

namespace wk::test {

// An Allocator for container tests: records every live block, fails the current test on
// a double free, a foreign pointer, a size or alignment mismatch, or a leak at
// destruction, and can be told to refuse allocations to exercise exhaustion paths.
class CheckingAllocator final : public Allocator {
public:
    CheckingAllocator() = default;
    CheckingAllocator(const CheckingAllocator&) = delete;
    CheckingAllocator& operator=(const CheckingAllocator&) = delete;

    ~CheckingAllocator()
    {
        EXPECT_EQ(m_live.size(), 0u) << "leaked " << m_live.size() << " block(s)";
        for (auto& [pointer, block] : m_live)
            ::operator delete(pointer, std::align_val_t { block.alignment });
    }

    void* allocate(usize size, usize alignment) override
    {
        EXPECT_NE(alignment, 0u);
        EXPECT_EQ(alignment & (alignment - 1), 0u) << "alignment not a power of two";
        if (m_allowed && *m_allowed == 0) {
            ++m_refusals;
            return nullptr;
        }
        if (m_allowed)
            --*m_allowed;
        ++m_allocations;
        void* pointer = ::operator new(size == 0 ? 1 : size, std::align_val_t { alignment });
        EXPECT_EQ(reinterpret_cast<uptr>(pointer) % alignment, 0u);
        if (poison_new_blocks)
            __builtin_memset(pointer, 0xA5, size);
        m_live.emplace(pointer, Block { size, alignment });
        return pointer;
    }

    // Fills every new block with 0xA5, so that a test sees memory its code forgot to set.
    bool poison_new_blocks = false;

    void deallocate(void* pointer, usize size, usize alignment) override
    {
        auto it = m_live.find(pointer);
        if (it == m_live.end()) {
            ADD_FAILURE() << "double free or foreign pointer " << pointer;
            return;
        }
        EXPECT_EQ(it->second.size, size) << "size mismatch on deallocate";
        EXPECT_EQ(it->second.alignment, alignment) << "alignment mismatch on deallocate";
        ::operator delete(pointer, std::align_val_t { it->second.alignment });
        m_live.erase(it);
    }

    // Allows `count` more allocations, then refuses every one until allow_all().
    void fail_after(usize count) { m_allowed = count; }
    void allow_all() { m_allowed.reset(); }

    usize live_blocks() const { return m_live.size(); }
    usize live_bytes() const
    {
        usize total = 0;
        for (auto& [pointer, block] : m_live)
            total += block.size;
        return total;
    }
    usize allocations() const { return m_allocations; }
    usize refusals() const { return m_refusals; }

private:
    struct Block {
        usize size;
        usize alignment;
    };
    std::unordered_map<void*, Block> m_live;
    std::optional<usize> m_allowed;
    usize m_allocations { 0 };
    usize m_refusals { 0 };
};

} // namespace wk::test
