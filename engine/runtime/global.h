#pragma once

#include "base/ref_ptr.h"
#include "engine/runtime/vm.h"

namespace wk::engine::runtime {

// A global: its 16-byte cell and its store-level type. Instances that import it point
// at the same cell, so writes are shared.
class Global : public RefCounted<Global> {
public:
    Global(ValType type, bool is_mutable, VMVal value)
        : m_cell(value)
        , m_type(type)
        , m_mutable(is_mutable)
    {
    }

    VMGlobal* cell() { return &m_cell; }
    const VMVal& value() const { return m_cell; }
    void set_value(const VMVal& value) { m_cell = value; }
    ValType type() const { return m_type; }
    bool is_mutable() const { return m_mutable; }

private:
    VMGlobal m_cell;
    ValType m_type;
    bool m_mutable;
};

// An exception tag: its identity is the object; its type a store-level function type id.
class Tag : public RefCounted<Tag> {
public:
    explicit Tag(u32 type_id)
        : m_type_id(type_id)
    {
    }
    u32 type_id() const { return m_type_id; }

private:
    u32 m_type_id;
};

} // namespace wk::engine::runtime
