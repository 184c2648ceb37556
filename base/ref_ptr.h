#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <new>
#include <utility>

#include "base/allocator.h"
#include "base/assert.h"
#include "base/result.h"
#include "base/types.h"

namespace wk {

template<typename T>
class RefPtr;

// Base for reference-counted objects (CRTP). The count starts at 1, owned by whoever
// adopts the object with adopt_ref(). When the count reaches zero the object is
// destroyed by T::destroy() if T declares an accessible one, otherwise by the deleter
// that try_make_ref_counted() recorded (destructor of the allocated type, then its
// allocator). Counting is atomic; destruction happens on the thread that drops the last
// reference.
template<typename T>
class RefCounted {
public:
    using RefCountedType = T;

    RefCounted(const RefCounted&) = delete;
    RefCounted& operator=(const RefCounted&) = delete;

    void ref() const
    {
        u32 old = m_ref_count.fetch_add(1, std::memory_order_relaxed);
        WK_ASSERT(old > 0);
    }

    void unref() const
    {
        u32 old = m_ref_count.fetch_sub(1, std::memory_order_acq_rel);
        WK_ASSERT(old > 0);
        if (old == 1)
            destroy_self();
    }

    u32 ref_count() const { return m_ref_count.load(std::memory_order_relaxed); }

protected:
    RefCounted() = default;
    ~RefCounted() = default;

private:
    template<typename U, typename... Args>
    friend Result<RefPtr<U>> try_make_ref_counted_in(Allocator&, Args&&...);

    using Deleter = void (*)(T*, Allocator*);

    void destroy_self() const
    {
        T* self = const_cast<T*>(static_cast<const T*>(this));
        if constexpr (requires { self->destroy(); }) {
            self->destroy();
        } else {
            WK_ASSERT(m_deleter != nullptr);
            m_deleter(self, m_allocator);
        }
    }

    mutable std::atomic<u32> m_ref_count { 1 };
    Deleter m_deleter { nullptr };
    Allocator* m_allocator { nullptr };
};

// A shared, counted reference to a RefCounted object; nullable.
template<typename T>
class RefPtr {
public:
    constexpr RefPtr() = default;
    constexpr RefPtr(std::nullptr_t) { }

    // Takes a new reference.
    explicit RefPtr(T* object)
        : m_object(object)
    {
        if (m_object)
            m_object->ref();
    }
    explicit RefPtr(T& object)
        : m_object(&object)
    {
        m_object->ref();
    }

    RefPtr(const RefPtr& other)
        : m_object(other.m_object)
    {
        if (m_object)
            m_object->ref();
    }
    RefPtr(RefPtr&& other)
        : m_object(std::exchange(other.m_object, nullptr))
    {
    }

    template<typename U>
        requires std::convertible_to<U*, T*>
    RefPtr(const RefPtr<U>& other)
        : m_object(other.m_object)
    {
        if (m_object)
            m_object->ref();
    }
    template<typename U>
        requires std::convertible_to<U*, T*>
    RefPtr(RefPtr<U>&& other)
        : m_object(std::exchange(other.m_object, nullptr))
    {
    }

    RefPtr& operator=(const RefPtr& other)
    {
        RefPtr copy(other);
        swap(copy);
        return *this;
    }
    RefPtr& operator=(RefPtr&& other)
    {
        RefPtr moved(std::move(other));
        swap(moved);
        return *this;
    }
    RefPtr& operator=(std::nullptr_t)
    {
        clear();
        return *this;
    }

    ~RefPtr() { clear(); }

    void clear()
    {
        if (T* object = std::exchange(m_object, nullptr))
            object->unref();
    }

    // Gives up this reference without dropping it; the caller now owns it.
    [[nodiscard]] T* leak_ref() { return std::exchange(m_object, nullptr); }

    void swap(RefPtr& other) { std::swap(m_object, other.m_object); }

    T* get() const { return m_object; }
    T* operator->() const
    {
        WK_ASSERT(m_object);
        return m_object;
    }
    T& operator*() const
    {
        WK_ASSERT(m_object);
        return *m_object;
    }
    explicit operator bool() const { return m_object != nullptr; }
    bool is_null() const { return m_object == nullptr; }

    template<typename U>
    bool operator==(const RefPtr<U>& other) const { return m_object == other.get(); }
    bool operator==(std::nullptr_t) const { return m_object == nullptr; }

private:
    template<typename U>
    friend class RefPtr;
    template<typename U>
    friend RefPtr<U> adopt_ref(U&);

    struct AdoptTag { };
    RefPtr(AdoptTag, T& object)
        : m_object(&object)
    {
    }

    T* m_object { nullptr };
};

// Wraps a freshly created object, taking over its initial reference.
template<typename T>
RefPtr<T> adopt_ref(T& object)
{
    return RefPtr<T>(typename RefPtr<T>::AdoptTag {}, object);
}

// Allocates and constructs a T from allocator; the last unref() destroys it and returns
// the memory to the same allocator. T may derive from its RefCounted base indirectly.
template<typename T, typename... Args>
Result<RefPtr<T>> try_make_ref_counted_in(Allocator& allocator, Args&&... args)
{
    using Base = typename T::RefCountedType;
    void* memory = allocator.allocate(sizeof(T), alignof(T));
    if (!memory)
        return Error::out_of_memory();
    T* object = new (memory) T(std::forward<Args>(args)...);
    RefCounted<Base>& counted = *object;
    counted.m_allocator = &allocator;
    counted.m_deleter = [](Base* base, Allocator* owner) {
        T* derived = static_cast<T*>(base);
        derived->~T();
        owner->deallocate(derived, sizeof(T), alignof(T));
    };
    return adopt_ref(*object);
}

template<typename T, typename... Args>
Result<RefPtr<T>> try_make_ref_counted(Args&&... args)
{
    return try_make_ref_counted_in<T>(default_allocator(), std::forward<Args>(args)...);
}

} // namespace wk
