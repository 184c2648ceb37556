#pragma once

#include "engine/binary/reader.h"
#include "engine/opcode.h"
#include "engine/types.h"

namespace wk::engine {

struct BlockType {
    enum class Kind : u8 { Empty, Value, Index };
    Kind kind { Kind::Empty };
    ValType value;   // Kind::Value
    u32 index { 0 }; // Kind::Index: a function type
};

struct MemArg {
    u32 align_log2 { 0 };
    u32 memory { 0 };
    u64 offset { 0 };
};

// try_table catch clause kinds (binary encoding).
enum class CatchKind : u8 { Catch = 0, CatchRef = 1, CatchAll = 2, CatchAllRef = 3 };

// One decoded instruction. Only the fields its ImmKind names are meaningful.
// Variable-length immediates (br_table labels, select types, try_table
// clauses) stay in the input: `list_count` entries starting at `list_offset`,
// read again with the helpers below.
struct Instruction {
    Opcode opcode { Opcode::Unreachable };
    u32 offset { 0 };
    u32 index0 { 0 }; // label, function, type, local, global, table, elem, data, memory, tag, size
    u32 index1 { 0 }; // second index: table (call_indirect, table.init), field, source, data/elem
    BlockType block;
    MemArg memarg;
    u8 lane { 0 };
    u8 cast_flags { 0 };
    u64 bits { 0 };       // i32/i64 value (sign-extended), f32/f64 bit pattern
    u8 v128[16] {};       // v128.const value, i8x16.shuffle lanes
    ValType type0;        // ref.null/ref.test/ref.cast heap type as (ref null? ht); br_on_cast source
    ValType type1;        // br_on_cast target
    u32 list_count { 0 };
    u32 list_offset { 0 };
};

// Heap type (s33: abstract type byte, type index, or the custom-descriptors
// exact prefix 0x62 followed by a u32 type index).
Result<ValType> read_heap_type(Reader& reader, bool nullable);
// Value type; storage types too when allow_packed.
Result<ValType> read_value_type(Reader& reader, bool allow_packed = false);
Result<ValType> read_ref_type(Reader& reader);
Result<BlockType> read_block_type(Reader& reader);

// Reads the next instruction and its immediates. Unknown opcodes fail with
// "illegal opcode"; the error offset is the opcode's.
Result<void> read_instruction(Reader& reader, Instruction& instruction);

// Moves the reader past a constant expression (up to its matching `end`),
// checking only that the instructions are well-formed.
Result<void> skip_expression(Reader& reader);

struct CatchClause {
    CatchKind kind { CatchKind::Catch };
    u32 tag { 0 };
    u32 label { 0 };
};
Result<CatchClause> read_catch_clause(Reader& reader);

} // namespace wk::engine
