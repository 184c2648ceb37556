#pragma once

#include <new>
#include <type_traits>
#include <utility>

#include "base/allocator.h"
#include "base/assert.h"
#include "base/checked.h"
#include "base/result.h"
#include "base/span.h"
#include "base/types.h"

namespace wk {

// A growable array that takes its memory from an explicit Allocator (nullptr means
// default_allocator(), resolved at the first allocation so that a global Vector needs no
// constructor code). Fallible operations return Result and leave the vector unchanged on
// failure; the non-try variants assert success. Copying is explicit: try_clone().
template<typename T>
class Vector {
public:
    using ValueType = T;

    constexpr Vector() = default;
    explicit constexpr Vector(Allocator* allocator)
        : m_allocator(allocator)
    {
    }

    Vector(const Vector&) = delete;
    Vector& operator=(const Vector&) = delete;

    Vector(Vector&& other)
        : m_data(std::exchange(other.m_data, nullptr))
        , m_size(std::exchange(other.m_size, 0))
        , m_capacity(std::exchange(other.m_capacity, 0))
        , m_allocator(other.m_allocator)
    {
    }

    Vector& operator=(Vector&& other)
    {
        if (this != &other) {
            release_storage();
            m_data = std::exchange(other.m_data, nullptr);
            m_size = std::exchange(other.m_size, 0);
            m_capacity = std::exchange(other.m_capacity, 0);
            m_allocator = other.m_allocator;
        }
        return *this;
    }

    ~Vector() { release_storage(); }

    Result<Vector> try_clone() const
        requires std::is_copy_constructible_v<T>
    {
        Vector copy(m_allocator);
        TRY(copy.try_reserve(m_size));
        for (usize i = 0; i < m_size; ++i)
            new (copy.m_data + i) T(m_data[i]);
        copy.m_size = m_size;
        return copy;
    }

    usize size() const { return m_size; }
    usize capacity() const { return m_capacity; }
    bool is_empty() const { return m_size == 0; }
    T* data() { return m_data; }
    const T* data() const { return m_data; }
    Allocator& allocator() const { return m_allocator ? *m_allocator : default_allocator(); }

    T& operator[](usize index)
    {
        WK_ASSERT(index < m_size);
        return m_data[index];
    }
    const T& operator[](usize index) const
    {
        WK_ASSERT(index < m_size);
        return m_data[index];
    }
    // nullptr when index is out of range.
    T* at(usize index) { return index < m_size ? m_data + index : nullptr; }
    const T* at(usize index) const { return index < m_size ? m_data + index : nullptr; }

    T& first() { return (*this)[0]; }
    const T& first() const { return (*this)[0]; }
    T& last()
    {
        WK_ASSERT(m_size > 0);
        return m_data[m_size - 1];
    }
    const T& last() const
    {
        WK_ASSERT(m_size > 0);
        return m_data[m_size - 1];
    }

    T* begin() { return m_data; }
    T* end() { return m_data + m_size; }
    const T* begin() const { return m_data; }
    const T* end() const { return m_data + m_size; }

    Span<T> span() { return Span<T>(m_data, m_size); }
    Span<const T> span() const { return Span<const T>(m_data, m_size); }
    operator Span<T>() { return span(); }
    operator Span<const T>() const { return span(); }

    Result<void> try_reserve(usize capacity)
    {
        if (capacity <= m_capacity)
            return {};
        T* new_data = TRY(allocate_storage(capacity));
        relocate_into(new_data);
        m_capacity = capacity;
        return {};
    }

    template<typename... Args>
    Result<void> try_emplace_back(Args&&... args)
    {
        if (m_size < m_capacity) [[likely]] {
            new (m_data + m_size) T(std::forward<Args>(args)...);
            ++m_size;
            return {};
        }
        return grow_and_emplace_back(std::forward<Args>(args)...);
    }

    Result<void> try_append(const T& value) { return try_emplace_back(value); }
    Result<void> try_append(T&& value) { return try_emplace_back(std::move(value)); }
    void append(const T& value) { MUST(try_append(value)); }
    void append(T&& value) { MUST(try_append(std::move(value))); }

    // Appends copies of values, which may point into this vector.
    Result<void> try_extend(Span<const T> values)
        requires std::is_copy_constructible_v<T>
    {
        if (values.empty())
            return {};
        auto total = checked_add(m_size, values.size());
        if (!total)
            return Error::out_of_memory();
        const T* source = values.data();
        bool aliases = source >= m_data && source < m_data + m_size;
        usize alias_index = aliases ? static_cast<usize>(source - m_data) : 0;
        if (*total > m_capacity) {
            usize new_capacity = TRY(grown_capacity(values.size()));
            TRY(try_reserve(new_capacity));
        }
        if (aliases)
            source = m_data + alias_index;
        if constexpr (std::is_trivially_copyable_v<T>) {
            __builtin_memcpy(static_cast<void*>(m_data + m_size), source, values.size() * sizeof(T));
        } else {
            for (usize i = 0; i < values.size(); ++i)
                new (m_data + m_size + i) T(source[i]);
        }
        m_size = *total;
        return {};
    }

    Result<void> try_insert(usize index, T value)
    {
        WK_ASSERT(index <= m_size);
        if (m_size == m_capacity) {
            usize new_capacity = TRY(grown_capacity(1));
            TRY(try_reserve(new_capacity));
        }
        if (index == m_size) {
            new (m_data + m_size) T(std::move(value));
        } else {
            new (m_data + m_size) T(std::move(m_data[m_size - 1]));
            for (usize i = m_size - 1; i > index; --i)
                m_data[i] = std::move(m_data[i - 1]);
            m_data[index] = std::move(value);
        }
        ++m_size;
        return {};
    }
    void insert(usize index, T value) { MUST(try_insert(index, std::move(value))); }

    void erase(usize index)
    {
        WK_ASSERT(index < m_size);
        for (usize i = index; i + 1 < m_size; ++i)
            m_data[i] = std::move(m_data[i + 1]);
        --m_size;
        m_data[m_size].~T();
    }

    T pop_back()
    {
        WK_ASSERT(m_size > 0);
        T value = std::move(m_data[m_size - 1]);
        --m_size;
        m_data[m_size].~T();
        return value;
    }

    // New elements are value-initialised.
    Result<void> try_resize(usize size)
        requires std::is_default_constructible_v<T>
    {
        if (size <= m_size) {
            shrink_to(size);
            return {};
        }
        TRY(try_reserve(size));
        for (usize i = m_size; i < size; ++i)
            new (m_data + i) T();
        m_size = size;
        return {};
    }

    Result<void> try_resize(usize size, const T& fill)
        requires std::is_copy_constructible_v<T>
    {
        if (size <= m_size) {
            shrink_to(size);
            return {};
        }
        TRY(try_reserve(size));
        for (usize i = m_size; i < size; ++i)
            new (m_data + i) T(fill);
        m_size = size;
        return {};
    }

    // Destroys the elements and keeps the storage.
    void clear() { shrink_to(0); }

    // Destroys the elements and returns the storage to the allocator.
    void clear_and_release() { release_storage(); }

private:
    // The new element is constructed before the old ones move, so that arguments
    // referring into this vector stay valid.
    template<typename... Args>
    [[gnu::noinline]] Result<void> grow_and_emplace_back(Args&&... args)
    {
        usize new_capacity = TRY(grown_capacity(1));
        T* new_data = TRY(allocate_storage(new_capacity));
        new (new_data + m_size) T(std::forward<Args>(args)...);
        relocate_into(new_data);
        m_capacity = new_capacity;
        ++m_size;
        return {};
    }

    void shrink_to(usize size)
    {
        for (usize i = size; i < m_size; ++i)
            m_data[i].~T();
        if (size < m_size)
            m_size = size;
    }

    Result<usize> grown_capacity(usize extra) const
    {
        auto needed = checked_add(m_size, extra);
        if (!needed)
            return Error::out_of_memory();
        usize doubled = m_capacity > (~usize { 0 } / 2) ? *needed : m_capacity * 2;
        usize capacity = doubled > *needed ? doubled : *needed;
        return capacity < 4 ? usize { 4 } : capacity;
    }

    Result<T*> allocate_storage(usize capacity)
    {
        auto bytes = checked_mul(capacity, sizeof(T));
        if (!bytes)
            return Error::out_of_memory();
        void* memory = allocator().allocate(*bytes, alignof(T));
        if (!memory)
            return Error::out_of_memory();
        return static_cast<T*>(memory);
    }

    // Moves the elements into new_data (of sufficient capacity) and frees the old storage.
    void relocate_into(T* new_data)
    {
        if (m_data) {
            if constexpr (std::is_trivially_copyable_v<T>) {
                if (m_size > 0)
                    __builtin_memcpy(static_cast<void*>(new_data), static_cast<const void*>(m_data), m_size * sizeof(T));
            } else {
                for (usize i = 0; i < m_size; ++i) {
                    new (new_data + i) T(std::move(m_data[i]));
                    m_data[i].~T();
                }
            }
            allocator().deallocate(m_data, m_capacity * sizeof(T), alignof(T));
        }
        m_data = new_data;
    }

    void release_storage()
    {
        shrink_to(0);
        if (m_data)
            allocator().deallocate(m_data, m_capacity * sizeof(T), alignof(T));
        m_data = nullptr;
        m_capacity = 0;
    }

    T* m_data { nullptr };
    usize m_size { 0 };
    usize m_capacity { 0 };
    Allocator* m_allocator { nullptr };
};

} // namespace wk
