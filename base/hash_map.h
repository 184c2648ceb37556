#pragma once

#include <new>
#include <optional>
#include <utility>

#include "base/allocator.h"
#include "base/assert.h"
#include "base/checked.h"
#include "base/result.h"
#include "base/traits.h"
#include "base/types.h"

namespace wk {

// An open-addressing hash table with linear probing. Removal shifts later entries back
// instead of leaving tombstones, so lookups never degrade after many removals. The
// table keeps at most 3/4 of its slots in use. Pointers to entries are invalidated by
// any insertion that grows the table and by removal. Iteration order is unspecified and
// differs between tables: each table hashes with its own seed (next_hash_seed()).
// Iteration hands out entries whose key must not be modified.
template<typename K, typename V, typename KeyTraits = Traits<K>>
class HashMap {
public:
    struct Entry {
        K key;
        V value;
    };

private:
    struct Slot {
        u32 hash;
        bool used;
        alignas(Entry) unsigned char storage[sizeof(Entry)];

        Entry& entry() { return *std::launder(reinterpret_cast<Entry*>(storage)); }
        const Entry& entry() const { return *std::launder(reinterpret_cast<const Entry*>(storage)); }
    };

    template<typename SlotType, typename EntryType>
    class IteratorBase {
    public:
        IteratorBase(SlotType* slot, SlotType* end)
            : m_slot(slot)
            , m_end(end)
        {
            skip_unused();
        }
        EntryType& operator*() const { return m_slot->entry(); }
        EntryType* operator->() const { return &m_slot->entry(); }
        IteratorBase& operator++()
        {
            ++m_slot;
            skip_unused();
            return *this;
        }
        bool operator==(const IteratorBase& other) const { return m_slot == other.m_slot; }

    private:
        void skip_unused()
        {
            while (m_slot != m_end && !m_slot->used)
                ++m_slot;
        }
        SlotType* m_slot;
        SlotType* m_end;
    };

public:
    using Iterator = IteratorBase<Slot, Entry>;
    using ConstIterator = IteratorBase<const Slot, const Entry>;

    constexpr HashMap() = default;
    explicit constexpr HashMap(Allocator* allocator)
        : m_allocator(allocator)
    {
    }

    HashMap(const HashMap&) = delete;
    HashMap& operator=(const HashMap&) = delete;

    HashMap(HashMap&& other)
        : m_slots(std::exchange(other.m_slots, nullptr))
        , m_capacity(std::exchange(other.m_capacity, 0))
        , m_size(std::exchange(other.m_size, 0))
        , m_seed(other.m_seed)
        , m_allocator(other.m_allocator)
    {
    }

    HashMap& operator=(HashMap&& other)
    {
        if (this != &other) {
            release();
            m_slots = std::exchange(other.m_slots, nullptr);
            m_capacity = std::exchange(other.m_capacity, 0);
            m_size = std::exchange(other.m_size, 0);
            m_seed = other.m_seed;
            m_allocator = other.m_allocator;
        }
        return *this;
    }

    ~HashMap() { release(); }

    usize size() const { return m_size; }
    bool is_empty() const { return m_size == 0; }
    usize capacity() const { return m_capacity; }
    Allocator& allocator() const { return m_allocator ? *m_allocator : default_allocator(); }

    // Inserts key, or overwrites the value of an equal key (keeping the stored key).
    Result<void> try_set(K key, V value)
    {
        if (m_capacity == 0)
            m_seed = next_hash_seed();
        u32 hash = hash_of(key);
        if (auto index = find_index(key, hash)) {
            m_slots[*index].entry().value = std::move(value);
            return {};
        }
        TRY(ensure_room_for_one_more());
        insert_new(hash, std::move(key), std::move(value));
        return {};
    }

    void set(K key, V value) { MUST(try_set(std::move(key), std::move(value))); }

    // Q is K or a type KeyTraits can hash and compare with K (e.g. StringView for String).
    template<typename Q>
    V* get(const Q& key)
    {
        auto index = find(key);
        return index ? &m_slots[*index].entry().value : nullptr;
    }

    template<typename Q>
    const V* get(const Q& key) const
    {
        auto index = find(key);
        return index ? &m_slots[*index].entry().value : nullptr;
    }

    template<typename Q>
    bool contains(const Q& key) const
    {
        return find(key).has_value();
    }

    // Returns whether an entry was removed.
    template<typename Q>
    bool remove(const Q& key)
    {
        auto index = find(key);
        if (!index)
            return false;
        remove_at(*index);
        return true;
    }

    // Removes the entry and returns its value.
    template<typename Q>
    std::optional<V> take(const Q& key)
    {
        auto index = find(key);
        if (!index)
            return std::nullopt;
        std::optional<V> value(std::move(m_slots[*index].entry().value));
        remove_at(*index);
        return value;
    }

    // Makes room for `count` entries in total without further allocation.
    Result<void> try_reserve(usize count)
    {
        usize capacity = m_capacity < kMinimumCapacity ? kMinimumCapacity : m_capacity;
        while (count > max_size_for(capacity)) {
            auto doubled = checked_mul<usize>(capacity, 2);
            if (!doubled)
                return Error::out_of_memory();
            capacity = *doubled;
        }
        if (capacity != m_capacity) {
            if (m_capacity == 0)
                m_seed = next_hash_seed();
            TRY(rehash(capacity));
        }
        return {};
    }

    // Destroys every entry and keeps the storage.
    void clear()
    {
        for (usize i = 0; i < m_capacity; ++i) {
            if (m_slots[i].used) {
                m_slots[i].entry().~Entry();
                m_slots[i].used = false;
            }
        }
        m_size = 0;
    }

    Iterator begin() { return Iterator(m_slots, m_slots + m_capacity); }
    Iterator end() { return Iterator(m_slots + m_capacity, m_slots + m_capacity); }
    ConstIterator begin() const { return ConstIterator(m_slots, m_slots + m_capacity); }
    ConstIterator end() const { return ConstIterator(m_slots + m_capacity, m_slots + m_capacity); }

private:
    static constexpr usize kMinimumCapacity = 8;

    static constexpr usize max_size_for(usize capacity) { return capacity / 4 * 3; }

    template<typename Q>
    u32 hash_of(const Q& key) const
    {
        if constexpr (requires { KeyTraits::hash(key, m_seed); })
            return KeyTraits::hash(key, m_seed);
        else
            return KeyTraits::hash(key);
    }

    template<typename Q>
    std::optional<usize> find(const Q& key) const
    {
        if (m_size == 0)
            return std::nullopt;
        return find_index(key, hash_of(key));
    }

    template<typename Q>
    std::optional<usize> find_index(const Q& key, u32 hash) const
    {
        if (m_size == 0)
            return std::nullopt;
        usize mask = m_capacity - 1;
        for (usize index = hash & mask;; index = (index + 1) & mask) {
            const Slot& slot = m_slots[index];
            if (!slot.used)
                return std::nullopt;
            if (slot.hash == hash && KeyTraits::equals(slot.entry().key, key))
                return index;
        }
    }

    Result<void> ensure_room_for_one_more()
    {
        if (m_capacity != 0 && m_size < max_size_for(m_capacity))
            return {};
        if (m_capacity == 0)
            return rehash(kMinimumCapacity);
        auto doubled = checked_mul<usize>(m_capacity, 2);
        if (!doubled)
            return Error::out_of_memory();
        return rehash(*doubled);
    }

    // Requires a free slot.
    void insert_new(u32 hash, K&& key, V&& value)
    {
        usize mask = m_capacity - 1;
        usize index = hash & mask;
        while (m_slots[index].used)
            index = (index + 1) & mask;
        Slot& slot = m_slots[index];
        new (slot.storage) Entry { std::move(key), std::move(value) };
        slot.hash = hash;
        slot.used = true;
        ++m_size;
    }

    void remove_at(usize hole)
    {
        usize mask = m_capacity - 1;
        m_slots[hole].entry().~Entry();
        m_slots[hole].used = false;
        --m_size;
        // Backward shift: move each following entry of the probe run into the hole when
        // the hole lies between its home slot and where it sits now.
        for (usize index = (hole + 1) & mask; m_slots[index].used; index = (index + 1) & mask) {
            Slot& slot = m_slots[index];
            usize home = slot.hash & mask;
            usize distance_from_home = (index - home) & mask;
            usize distance_from_hole = (index - hole) & mask;
            if (distance_from_home < distance_from_hole)
                continue;
            Slot& target = m_slots[hole];
            new (target.storage) Entry(std::move(slot.entry()));
            target.hash = slot.hash;
            target.used = true;
            slot.entry().~Entry();
            slot.used = false;
            hole = index;
        }
    }

    Result<void> rehash(usize new_capacity)
    {
        WK_ASSERT(is_power_of_two(new_capacity) && max_size_for(new_capacity) >= m_size);
        auto bytes = checked_mul(new_capacity, sizeof(Slot));
        if (!bytes)
            return Error::out_of_memory();
        auto* new_slots = static_cast<Slot*>(allocator().allocate(*bytes, alignof(Slot)));
        if (!new_slots)
            return Error::out_of_memory();
        for (usize i = 0; i < new_capacity; ++i)
            new_slots[i].used = false;

        Slot* old_slots = m_slots;
        usize old_capacity = m_capacity;
        m_slots = new_slots;
        m_capacity = new_capacity;
        m_size = 0;
        for (usize i = 0; i < old_capacity; ++i) {
            Slot& slot = old_slots[i];
            if (!slot.used)
                continue;
            insert_new(slot.hash, std::move(slot.entry().key), std::move(slot.entry().value));
            slot.entry().~Entry();
        }
        if (old_slots)
            allocator().deallocate(old_slots, old_capacity * sizeof(Slot), alignof(Slot));
        return {};
    }

    void release()
    {
        clear();
        if (m_slots)
            allocator().deallocate(m_slots, m_capacity * sizeof(Slot), alignof(Slot));
        m_slots = nullptr;
        m_capacity = 0;
    }

    Slot* m_slots { nullptr };
    usize m_capacity { 0 };
    usize m_size { 0 };
    u64 m_seed { 0 };
    Allocator* m_allocator { nullptr };
};

} // namespace wk
