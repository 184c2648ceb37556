#pragma once

#include <bit>

#include "base/types.h"

namespace wk::engine {

inline constexpr u32 kNoIndex = ~u32 { 0 };

// Abstract heap types, plus Index for a concrete (defined) type. Bottom only
// appears during validation, for operands popped in unreachable code.
enum class HeapKind : u8 {
    Func,
    NoFunc,
    Extern,
    NoExtern,
    Any,
    Eq,
    I31,
    Struct,
    Array,
    None,
    Exn,
    NoExn,
    Index,
    Bottom,
};

// I8/I16 are packed storage types (struct and array fields only). Bottom is the
// unknown operand of stack-polymorphic code during validation.
// The first five are ordered as their binary encodings count down from 0x7F.
enum class ValKind : u8 { I32, I64, F32, F64, V128, I8, I16, Ref, Bottom };

// A value or storage type. For Index heap types `index` is a type index of the
// module it came from; the validator compares such types through canonical ids.
struct ValType {
    ValKind kind { ValKind::I32 };
    bool nullable { false };
    bool exact { false };
    HeapKind heap { HeapKind::Func };
    u32 index { 0 };

    static constexpr ValType i32() { return { ValKind::I32 }; }
    static constexpr ValType i64() { return { ValKind::I64 }; }
    static constexpr ValType f32() { return { ValKind::F32 }; }
    static constexpr ValType f64() { return { ValKind::F64 }; }
    static constexpr ValType v128() { return { ValKind::V128 }; }
    static constexpr ValType i8() { return { ValKind::I8 }; }
    static constexpr ValType i16() { return { ValKind::I16 }; }
    static constexpr ValType bottom() { return { ValKind::Bottom, false, false, HeapKind::Bottom, 0 }; }
    static constexpr ValType ref(HeapKind heap, bool nullable) { return { ValKind::Ref, nullable, false, heap, 0 }; }
    static constexpr ValType ref_index(u32 index, bool nullable, bool exact = false)
    {
        return { ValKind::Ref, nullable, exact, HeapKind::Index, index };
    }

    constexpr bool is_ref() const { return kind == ValKind::Ref; }
    constexpr bool is_num() const { return kind <= ValKind::F64; }
    constexpr bool is_packed() const { return kind == ValKind::I8 || kind == ValKind::I16; }
    constexpr bool is_bottom() const { return kind == ValKind::Bottom; }
    constexpr bool has_index() const { return kind == ValKind::Ref && heap == HeapKind::Index; }
    // Structural identity of the encoding; not type equivalence (see valid/type_context.h).
    constexpr bool operator==(const ValType& other) const { return bits() == other.bits(); }
    constexpr u64 bits() const { return std::bit_cast<u64>(*this); }
};

static_assert(sizeof(ValType) == 8);

// Byte size of a value or storage type in memory; references count as pointers.
constexpr u32 storage_size(ValType type)
{
    switch (type.kind) {
    case ValKind::I8: return 1;
    case ValKind::I16: return 2;
    case ValKind::I32:
    case ValKind::F32: return 4;
    case ValKind::V128: return 16;
    default: return 8;
    }
}

// Value types that have a default value (locals need no initialisation).
constexpr bool is_defaultable(ValType type) { return !type.is_ref() || type.nullable; }

} // namespace wk::engine
