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

// The general case of read_instruction.
Result<void> read_instruction_slow(Reader& reader, Instruction& instruction);

namespace detail {

// Single-byte opcodes whose immediates are nothing or one u32 index: the
// decoder's fast path. kind: 0 = illegal or other, 1 = no immediate, 2 = one
// u32, 3 = s32 constant, 4 = block type, 5 = memarg, 6 = s64 constant.
struct FastOpcode {
    u16 opcode;
    u8 kind;
};

consteval bool is_single_index(ImmKind imm)
{
    switch (imm) {
    case ImmKind::Label:
    case ImmKind::Func:
    case ImmKind::Local:
    case ImmKind::Global:
    case ImmKind::Table:
    case ImmKind::Elem:
    case ImmKind::Data:
    case ImmKind::Memory:
    case ImmKind::Type:
    case ImmKind::Tag: return true;
    default: return false;
    }
}

struct FastOpcodeTable {
    FastOpcode entries[256];

    consteval FastOpcodeTable()
        : entries {}
    {
        for (u32 byte = 0; byte < 256; ++byte) {
            auto opcode = kSingleByteOpcodes.find(byte);
            entries[byte] = { 0, 0 };
            if (!opcode || is_prefix_byte(static_cast<u8>(byte)))
                continue;
            ImmKind imm = opcode_info(*opcode).imm;
            u8 kind = imm == ImmKind::None ? 1
                : is_single_index(imm)     ? 2
                : imm == ImmKind::I32      ? 3
                : imm == ImmKind::I64      ? 6
                : imm == ImmKind::BlockType ? 4
                : imm == ImmKind::MemArg   ? 5
                                           : 0;
            entries[byte] = { static_cast<u16>(*opcode), kind };
        }
    }
};

inline constexpr FastOpcodeTable kFastOpcodes {};

// Decodes an unsigned LEB128 of at most three bytes at bytes[position], or
// returns 0 (the caller then takes the general path, which reports errors).
// Decodes a signed LEB128 of at most max_bytes (<= 9, so no bit is lost and no
// range check is needed) at bytes[position], sign-extended; 0 when longer.
inline usize short_signed_leb(ReadonlyBytes bytes, usize position, usize max_bytes, u64& value)
{
    u64 result = 0;
    u32 shift = 0;
    for (usize k = 0; k < max_bytes; ++k) {
        if (position + k >= bytes.size())
            return 0;
        u8 byte = bytes[position + k];
        result |= static_cast<u64>(byte & 0x7F) << shift;
        shift += 7;
        if ((byte & 0x80) == 0) {
            if (byte & 0x40)
                result |= ~u64 { 0 } << shift;
            value = result;
            return k + 1;
        }
    }
    return 0;
}

inline usize short_leb(ReadonlyBytes bytes, usize position, u32& value)
{
    if (position + 3 > bytes.size())
        return 0;
    u8 b0 = bytes[position];
    if (b0 < 0x80) {
        value = b0;
        return 1;
    }
    u8 b1 = bytes[position + 1];
    if (b1 < 0x80) {
        value = (b0 & 0x7Fu) | (u32 { b1 } << 7);
        return 2;
    }
    u8 b2 = bytes[position + 2];
    if (b2 < 0x80) {
        value = (b0 & 0x7Fu) | ((b1 & 0x7Fu) << 7) | (u32 { b2 } << 14);
        return 3;
    }
    return 0;
}

} // namespace detail

// Reads the next instruction and its immediates. Unknown opcodes fail with
// "illegal opcode"; the error offset is the opcode's.
[[gnu::always_inline]] inline Result<void> read_instruction(Reader& reader, Instruction& instruction)
{
    usize start = reader.offset();
    ReadonlyBytes bytes = reader.bytes();
    if (start + 1 < bytes.size()) [[likely]] {
        detail::FastOpcode fast = detail::kFastOpcodes.entries[bytes[start]];
        if (fast.kind == 1) {
            instruction.opcode = static_cast<Opcode>(fast.opcode);
            instruction.offset = static_cast<u32>(start);
            reader.seek(start + 1);
            return {};
        }
        u8 next = bytes[start + 1];
        instruction.opcode = static_cast<Opcode>(fast.opcode);
        instruction.offset = static_cast<u32>(start);
        u32 value;
        switch (fast.kind) {
        case 2:
            if (usize length = detail::short_leb(bytes, start + 1, value)) {
                instruction.index0 = value;
                reader.seek(start + 1 + length);
                return {};
            }
            break;
        case 3:
        case 6: {
            u64 constant;
            if (usize length = detail::short_signed_leb(bytes, start + 1, fast.kind == 3 ? 4 : 9, constant)) {
                instruction.bits = constant;
                reader.seek(start + 1 + length);
                return {};
            }
            break;
        }
        case 4:
            if (next == 0x40) {
                instruction.block.kind = BlockType::Kind::Empty;
                reader.seek(start + 2);
                return {};
            }
            if (next >= 0x7B && next <= 0x7F) {
                instruction.block.kind = BlockType::Kind::Value;
                instruction.block.value = ValType { static_cast<ValKind>(0x7F - next) };
                reader.seek(start + 2);
                return {};
            }
            break;
        case 5:
            if (next < 0x40) {
                if (usize length = detail::short_leb(bytes, start + 2, value)) {
                    instruction.memarg.align_log2 = next;
                    instruction.memarg.memory = 0;
                    instruction.memarg.offset = value;
                    reader.seek(start + 2 + length);
                    return {};
                }
            }
            break;
        default:
            break;
        }
    }
    return read_instruction_slow(reader, instruction);
}

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
