#pragma once

// The data structures compiled code reads and writes (docs/engine-abi.md, "VMContext").
// Every layout here is ABI: offsets are checked with static_asserts in vm_offsets.cpp.

#include <cstddef>

#include "base/types.h"
#include "engine/module.h"
#include "engine/runtime/gc_layout.h"

namespace wk::engine::runtime {

struct VMContext; // opaque: a block laid out by VMOffsets

// A 16-byte value slot: globals, constant-expression results and array-call arguments.
// Numbers sit little-endian at byte 0 (i32/f32 in the low 4 bytes, upper bytes zero when
// written by the runtime); references are pointers at byte 0; v128 fills all 16 bytes.
struct alignas(16) VMVal {
    u8 bytes[16] {};

    static VMVal from_u32(u32 value) { return from_bits(value); }
    static VMVal from_i32(i32 value) { return from_bits(static_cast<u32>(value)); }
    static VMVal from_u64(u64 value) { return from_bits(value); }
    static VMVal from_i64(i64 value) { return from_bits(static_cast<u64>(value)); }
    static VMVal from_f32_bits(u32 bits) { return from_bits(bits); }
    static VMVal from_f64_bits(u64 bits) { return from_bits(bits); }
    static VMVal from_ref(const void* ref) { return from_bits(reinterpret_cast<uptr>(ref)); }
    static VMVal from_v128(const u8 (&lanes)[16])
    {
        VMVal value;
        __builtin_memcpy(value.bytes, lanes, 16);
        return value;
    }

    u32 u32_value() const { return static_cast<u32>(u64_value()); }
    i32 i32_value() const { return static_cast<i32>(u32_value()); }
    u64 u64_value() const
    {
        u64 value;
        __builtin_memcpy(&value, bytes, 8);
        return value;
    }
    i64 i64_value() const { return static_cast<i64>(u64_value()); }
    f32 f32_value() const
    {
        f32 value;
        __builtin_memcpy(&value, bytes, 4);
        return value;
    }
    f64 f64_value() const
    {
        f64 value;
        __builtin_memcpy(&value, bytes, 8);
        return value;
    }
    void* ref() const { return reinterpret_cast<void*>(static_cast<uptr>(u64_value())); }

    bool operator==(const VMVal& other) const { return __builtin_memcmp(bytes, other.bytes, 16) == 0; }

private:
    static VMVal from_bits(u64 bits)
    {
        VMVal value;
        __builtin_memcpy(value.bytes, &bits, 8);
        return value;
    }
};
static_assert(sizeof(VMVal) == 16);

// A global's storage. Imported globals point to the exporter's cell.
using VMGlobal = VMVal;

// The array-call entry of a function: arguments in values[0..params), results written
// back to values[0..results). The array must hold max(params, results) slots.
using VMArrayCall = void (*)(VMContext* callee_vmctx, VMVal* values);

// A function reference: what ref.func yields, what funcref tables hold (null is 0), and
// the entry for every function index in VMContext::functions.
//  - native_code: the function with the wasm calling convention,
//    native(callee_vmctx, params...) -> results; nullptr until the compiler provides it
//    (then callers must not call it: instantiation refuses to run a start function).
//    Host functions without a native entry get one from a compiler trampoline.
//  - vmctx: the defining instance's VMContext, or for a host function its HostFunction
//    (opaque to compiled code, which only passes it back).
//  - type_id: the store-level canonical id of the function's type.
//  - flags: kFuncRefHost when vmctx is a HostFunction.
//  - array_call: the entry for callers holding a VMVal array (host → wasm).
struct VMFuncRef {
    static constexpr u32 kFuncRefHost = 1;

    const void* native_code { nullptr };
    VMContext* vmctx { nullptr };
    u32 type_id { kNoIndex };
    u32 flags { 0 };
    VMArrayCall array_call { nullptr };

    bool is_host() const { return (flags & kFuncRefHost) != 0; }
};
static_assert(sizeof(VMFuncRef) == 32);
static_assert(offsetof(VMFuncRef, native_code) == 0);
static_assert(offsetof(VMFuncRef, vmctx) == 8);
static_assert(offsetof(VMFuncRef, type_id) == 16);
static_assert(offsetof(VMFuncRef, flags) == 20);
static_assert(offsetof(VMFuncRef, array_call) == 24);

// A linear memory. base never changes (memories never move); bound_bytes is the current
// size in bytes, updated atomically by grow (shared memories grow concurrently).
struct VMMemory {
    u8* base { nullptr };
    u64 bound_bytes { 0 };
};
static_assert(offsetof(VMMemory, base) == 0);
static_assert(offsetof(VMMemory, bound_bytes) == 8);

// A table: `size` references (8 bytes each, null is 0). `elements` moves when the table
// grows, so compiled code reloads it after any call.
struct VMTable {
    void** elements { nullptr };
    u64 size { 0 };
};
static_assert(offsetof(VMTable, elements) == 0);
static_assert(offsetof(VMTable, size) == 8);

// Reference representation (docs/engine-abi.md): null is 0; funcref is a VMFuncRef*;
// i31ref is (value << 1) | 1; other references are 8-aligned pointers to store objects
// (host references are HostRef boxes owned by the store).
constexpr uptr make_i31_ref(u32 value) { return (static_cast<uptr>(value & 0x7FFF'FFFFu) << 1) | 1; }
constexpr bool is_i31_ref(uptr ref) { return (ref & 1) != 0; }

// An exception (exnref): an object of the store's GC heap (docs/gc.md, "Exceptions"), its
// header laid out as a GcHeader's first two words (type_id kGcExceptionTypeId; the flags:
// the mark bit, kGcExceptionFlag and the object's bytes / 16 from bit 8), then its tag's
// identity (the Tag* in VMContext tags), then the tag's parameter values, one VMVal each.
struct VMException {
    u32 type_id { 0 };
    u32 flags { 0 };
    const void* tag { nullptr };

    VMVal* values() { return reinterpret_cast<VMVal*>(this + 1); }
    // The tag's parameter count: the object's 16-byte units past the header.
    u32 count() const { return (flags >> kGcStructUnitsShift) - 1; }
};
static_assert(sizeof(VMException) == 16);
static_assert(offsetof(VMException, tag) == 8);

// Byte offsets of a module's VMContext fields, computed once per module from its counts.
// Arrays are indexed by the module's index spaces, imports first.
struct VMOffsets {
    // Fixed header.
    static constexpr u32 kMemory0Base = 0;  // u8*: base of memory 0 (stable), 0 without memories
    static constexpr u32 kMemory0 = 8;      // VMMemory*: memory 0, for its bound
    static constexpr u32 kStackLimit = 16;  // u64: lowest rsp wasm code may use
    static constexpr u32 kInstance = 24;    // Instance*: for builtins
    static constexpr u32 kBuiltins = 32;    // const void* const*: the builtin table
    // i32*: the module's tier-up budgets, one per defined function (shared by its
    // instances); null unless the module was compiled with Tier::Tiered.
    static constexpr u32 kTierBudgets = 40;
    static constexpr u32 kHeaderSize = 48;

    u32 function_count { 0 };
    u32 table_count { 0 };
    u32 memory_count { 0 };
    u32 global_count { 0 };
    u32 tag_count { 0 };
    u32 type_count { 0 };
    u32 data_count { 0 };
    u32 elem_count { 0 };

    u32 memories { 0 };     // VMMemory* [memory_count]
    u32 tables { 0 };       // VMTable* [table_count]
    u32 globals { 0 };      // VMGlobal* [global_count]
    u32 tags { 0 };         // void* [tag_count]: tag identities
    u32 functions { 0 };    // VMFuncRef [function_count]
    u32 type_ids { 0 };     // u32 [type_count]: canonical type ids
    u32 data_dropped { 0 }; // u64 [ceil(data_count / 64)]: bit set = dropped
    u32 elem_dropped { 0 }; // u64 [ceil(elem_count / 64)]
    u32 size { 0 };         // total bytes; the block is 16-byte aligned

    u32 memory(u32 index) const { return memories + index * 8; }
    u32 table(u32 index) const { return tables + index * 8; }
    u32 global(u32 index) const { return globals + index * 8; }
    u32 tag(u32 index) const { return tags + index * 8; }
    u32 function(u32 index) const { return functions + index * static_cast<u32>(sizeof(VMFuncRef)); }
    u32 type_id(u32 index) const { return type_ids + index * 4; }

    // Fails (OutOfRange) when the module's counts would make the context too large.
    static Result<VMOffsets> compute(const Module& module);
};

} // namespace wk::engine::runtime
