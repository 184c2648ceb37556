#pragma once

#include "base/hash_map.h"

namespace wk {

// A set of keys over HashMap; the same probing, growth and invalidation rules.
template<typename K, typename KeyTraits = Traits<K>>
class HashSet {
    struct Nothing { };
    using Map = HashMap<K, Nothing, KeyTraits>;

    template<typename MapIterator>
    class IteratorBase {
    public:
        explicit IteratorBase(MapIterator it)
            : m_it(it)
        {
        }
        const K& operator*() const { return (*m_it).key; }
        const K* operator->() const { return &(*m_it).key; }
        IteratorBase& operator++()
        {
            ++m_it;
            return *this;
        }
        bool operator==(const IteratorBase& other) const { return m_it == other.m_it; }

    private:
        MapIterator m_it;
    };

public:
    using ConstIterator = IteratorBase<typename Map::ConstIterator>;

    constexpr HashSet() = default;
    explicit constexpr HashSet(Allocator* allocator)
        : m_map(allocator)
    {
    }

    usize size() const { return m_map.size(); }
    bool is_empty() const { return m_map.is_empty(); }

    // Inserting a key that is already present leaves the set unchanged.
    Result<void> try_insert(K key) { return m_map.try_set(std::move(key), Nothing {}); }
    void insert(K key) { MUST(try_insert(std::move(key))); }

    template<typename Q>
    bool contains(const Q& key) const { return m_map.contains(key); }
    template<typename Q>
    bool remove(const Q& key) { return m_map.remove(key); }

    Result<void> try_reserve(usize count) { return m_map.try_reserve(count); }
    void clear() { m_map.clear(); }

    ConstIterator begin() const { return ConstIterator(m_map.begin()); }
    ConstIterator end() const { return ConstIterator(m_map.end()); }

private:
    Map m_map;
};

} // namespace wk
