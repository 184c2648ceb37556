#pragma once

#include <bit>

#include "base/assert.h"
#include "base/types.h"

namespace wk {

class IntrusiveListBase;

// Embedded in an object to put it on one IntrusiveList at a time. The node knows its
// list, so removal is O(1) and checked. Destroying a node that is still linked is a bug
// and asserts.
class IntrusiveListNode {
public:
    constexpr IntrusiveListNode() = default;
    IntrusiveListNode(const IntrusiveListNode&) = delete;
    IntrusiveListNode& operator=(const IntrusiveListNode&) = delete;
    ~IntrusiveListNode() { WK_ASSERT(!is_linked()); }

    bool is_linked() const { return m_list != nullptr; }

private:
    friend class IntrusiveListBase;

    IntrusiveListNode* m_prev { nullptr };
    IntrusiveListNode* m_next { nullptr };
    IntrusiveListBase* m_list { nullptr };
};

// The untyped part of IntrusiveList: a doubly linked list of nodes.
class IntrusiveListBase {
public:
    constexpr IntrusiveListBase() = default;
    IntrusiveListBase(const IntrusiveListBase&) = delete;
    IntrusiveListBase& operator=(const IntrusiveListBase&) = delete;
    ~IntrusiveListBase() { clear(); }

    bool is_empty() const { return m_first == nullptr; }
    usize size() const { return m_size; }
    bool contains(const IntrusiveListNode& node) const { return node.m_list == this; }

    // Unlinks every node; the objects themselves are untouched.
    void clear()
    {
        while (m_first)
            remove_node(*m_first);
    }

protected:
    void link_before(IntrusiveListNode* position, IntrusiveListNode& node)
    {
        WK_ASSERT(!node.is_linked());
        node.m_list = this;
        node.m_next = position;
        node.m_prev = position ? position->m_prev : m_last;
        if (node.m_prev)
            node.m_prev->m_next = &node;
        else
            m_first = &node;
        if (position)
            position->m_prev = &node;
        else
            m_last = &node;
        ++m_size;
    }

    void remove_node(IntrusiveListNode& node)
    {
        WK_ASSERT(node.m_list == this);
        if (node.m_prev)
            node.m_prev->m_next = node.m_next;
        else
            m_first = node.m_next;
        if (node.m_next)
            node.m_next->m_prev = node.m_prev;
        else
            m_last = node.m_prev;
        node.m_prev = nullptr;
        node.m_next = nullptr;
        node.m_list = nullptr;
        --m_size;
    }

    static IntrusiveListNode* next_of(const IntrusiveListNode* node) { return node->m_next; }

    IntrusiveListNode* m_first { nullptr };
    IntrusiveListNode* m_last { nullptr };
    usize m_size { 0 };
};

// A list of T objects linked through their member node `member`. The list does not own
// the objects. Iteration tolerates removing the current element (the iterator has
// already read its successor); other modifications during iteration are not allowed.
template<typename T, IntrusiveListNode T::*member>
class IntrusiveList : public IntrusiveListBase {
public:
    class Iterator {
    public:
        explicit Iterator(IntrusiveListNode* node)
            : m_node(node)
            , m_next(node ? next_of(node) : nullptr)
        {
        }
        T& operator*() const { return *owner_of(m_node); }
        T* operator->() const { return owner_of(m_node); }
        Iterator& operator++()
        {
            m_node = m_next;
            m_next = m_node ? next_of(m_node) : nullptr;
            return *this;
        }
        bool operator==(const Iterator& other) const { return m_node == other.m_node; }

    private:
        IntrusiveListNode* m_node;
        IntrusiveListNode* m_next;
    };

    constexpr IntrusiveList() = default;

    void push_back(T& object) { link_before(nullptr, object.*member); }
    void push_front(T& object) { link_before(m_first, object.*member); }
    // Inserts object before position, which must be on this list.
    void insert_before(T& position, T& object)
    {
        WK_ASSERT(contains(position));
        link_before(&(position.*member), object.*member);
    }
    // object must be on this list.
    void remove(T& object) { remove_node(object.*member); }
    bool contains(const T& object) const { return IntrusiveListBase::contains(object.*member); }

    T* first() const { return m_first ? owner_of(m_first) : nullptr; }
    T* last() const { return m_last ? owner_of(m_last) : nullptr; }

    // nullptr when the list is empty.
    T* pop_front()
    {
        T* object = first();
        if (object)
            remove(*object);
        return object;
    }
    T* pop_back()
    {
        T* object = last();
        if (object)
            remove(*object);
        return object;
    }

    Iterator begin() const { return Iterator(m_first); }
    Iterator end() const { return Iterator(nullptr); }

private:
    // NOTE: relies on the Itanium C++ ABI (x86-64, riscv64), where a pointer to data
    // member is the member's byte offset.
    static T* owner_of(IntrusiveListNode* node)
    {
        static_assert(sizeof(member) == sizeof(isize));
        auto offset = std::bit_cast<isize>(member);
        return reinterpret_cast<T*>(reinterpret_cast<char*>(node) - offset);
    }
};

} // namespace wk
