#include "engine/binary/instruction.h"

#include <array>

namespace wk::engine {
namespace {

struct IllegalOpcodeMessages {
    char text[256][18];

    consteval IllegalOpcodeMessages()
        : text {}
    {
        constexpr char kPrefix[] = "illegal opcode ";
        constexpr char kDigits[] = "0123456789abcdef";
        for (int byte = 0; byte < 256; ++byte) {
            for (int i = 0; i < 15; ++i)
                text[byte][i] = kPrefix[i];
            text[byte][15] = kDigits[byte >> 4];
            text[byte][16] = kDigits[byte & 15];
            text[byte][17] = '\0';
        }
    }
};

constexpr IllegalOpcodeMessages kIllegalOpcode {};
constexpr const char* kMalformedHeapType = "malformed heap type";

std::optional<HeapKind> abstract_heap_kind(u8 byte)
{
    switch (byte) {
    case 0x70: return HeapKind::Func;
    case 0x6F: return HeapKind::Extern;
    case 0x6E: return HeapKind::Any;
    case 0x6D: return HeapKind::Eq;
    case 0x6C: return HeapKind::I31;
    case 0x6B: return HeapKind::Struct;
    case 0x6A: return HeapKind::Array;
    case 0x69: return HeapKind::Exn;
    case 0x71: return HeapKind::None;
    case 0x72: return HeapKind::NoExtern;
    case 0x73: return HeapKind::NoFunc;
    case 0x74: return HeapKind::NoExn;
    default: return std::nullopt;
    }
}

Result<MemArg> read_memarg(Reader& reader)
{
    usize start = reader.offset();
    MemArg memarg;
    u32 flags = TRY(reader.read_u32());
    if (flags & 0x40) {
        flags &= ~u32 { 0x40 };
        memarg.memory = TRY(reader.read_u32());
    }
    if (flags >= 0x40)
        return Error::malformed("malformed memop flags", start);
    memarg.align_log2 = flags;
    memarg.offset = TRY(reader.read_u64());
    return memarg;
}

} // namespace

Result<ValType> read_heap_type(Reader& reader, bool nullable)
{
    usize start = reader.offset();
    u8 first = TRY(reader.peek_u8());
    if (first == 0x62) {
        reader.seek(start + 1);
        i64 index = TRY(reader.read_s33());
        if (index < 0 || index > 0xFFFFFFFF)
            return Error::malformed(kMalformedHeapType, start);
        return ValType::ref_index(static_cast<u32>(index), nullable, true);
    }
    i64 value = TRY(reader.read_s33());
    if (value >= 0)
        return ValType::ref_index(static_cast<u32>(value), nullable);
    if (value >= -64) {
        if (auto kind = abstract_heap_kind(static_cast<u8>(value & 0x7F)))
            return ValType::ref(*kind, nullable);
    }
    return Error::malformed(kMalformedHeapType, start);
}

Result<ValType> read_value_type(Reader& reader, bool allow_packed)
{
    usize start = reader.offset();
    u8 byte = TRY(reader.read_u8());
    switch (byte) {
    case 0x7F: return ValType::i32();
    case 0x7E: return ValType::i64();
    case 0x7D: return ValType::f32();
    case 0x7C: return ValType::f64();
    case 0x7B: return ValType::v128();
    case 0x78:
        if (allow_packed)
            return ValType::i8();
        break;
    case 0x77:
        if (allow_packed)
            return ValType::i16();
        break;
    case 0x64:
    case 0x63: {
        auto heap = read_heap_type(reader, byte == 0x63);
        if (!heap && heap.error().message() == kMalformedHeapType)
            return Error::malformed(allow_packed ? "malformed storage type" : "malformed value type", start);
        return heap;
    }
    default:
        if (auto kind = abstract_heap_kind(byte))
            return ValType::ref(*kind, true);
        break;
    }
    if (byte & 0x80)
        return Error::malformed("integer representation too long", start);
    return Error::malformed(allow_packed ? "malformed storage type" : "malformed value type", start);
}

Result<ValType> read_ref_type(Reader& reader)
{
    usize start = reader.offset();
    auto type = read_value_type(reader);
    if (!type || !type->is_ref())
        return Error::malformed("malformed reference type", start);
    return *type;
}

Result<BlockType> read_block_type(Reader& reader)
{
    usize start = reader.offset();
    u8 first = TRY(reader.peek_u8());
    BlockType block;
    if (first == 0x40) {
        reader.seek(start + 1);
        return block;
    }
    if ((first & 0xC0) == 0x40) {
        block.kind = BlockType::Kind::Value;
        block.value = TRY(read_value_type(reader));
        return block;
    }
    i64 value = TRY(reader.read_s33());
    if (value < 0)
        return Error::malformed("malformed block type", start);
    block.kind = BlockType::Kind::Index;
    block.index = static_cast<u32>(value);
    return block;
}

Result<CatchClause> read_catch_clause(Reader& reader)
{
    usize start = reader.offset();
    CatchClause clause;
    u8 kind = TRY(reader.read_u8());
    if (kind > 3)
        return Error::malformed("malformed catch clause", start);
    clause.kind = static_cast<CatchKind>(kind);
    if (clause.kind == CatchKind::Catch || clause.kind == CatchKind::CatchRef)
        clause.tag = TRY(reader.read_u32());
    clause.label = TRY(reader.read_u32());
    return clause;
}

Result<void> read_instruction_slow(Reader& reader, Instruction& instruction)
{
    usize start = reader.offset();
    u8 byte = TRY(reader.read_u8());
    std::optional<Opcode> opcode;
    if (is_prefix_byte(byte)) {
        u32 code = TRY(reader.read_u32());
        opcode = opcode_from_encoding(byte, code);
    } else {
        opcode = detail::kSingleByteOpcodes.find(byte);
    }
    if (!opcode) [[unlikely]]
        return Error::malformed(kIllegalOpcode.text[byte], start);
    instruction.opcode = *opcode;
    instruction.offset = static_cast<u32>(start);

    switch (opcode_info(*opcode).imm) {
    case ImmKind::None:
        break;
    case ImmKind::BlockType:
        instruction.block = TRY(read_block_type(reader));
        break;
    case ImmKind::Label:
    case ImmKind::Func:
    case ImmKind::Local:
    case ImmKind::Global:
    case ImmKind::Table:
    case ImmKind::Elem:
    case ImmKind::Data:
    case ImmKind::Memory:
    case ImmKind::Type:
    case ImmKind::Tag:
        instruction.index0 = TRY(reader.read_u32());
        break;
    case ImmKind::CallIndirect:
    case ImmKind::TableCopy:
    case ImmKind::TableInit:
    case ImmKind::MemoryInit:
    case ImmKind::MemoryCopy:
    case ImmKind::TypeField:
    case ImmKind::TypeType:
    case ImmKind::TypeData:
    case ImmKind::TypeElem:
    case ImmKind::TypeSize:
        instruction.index0 = TRY(reader.read_u32());
        instruction.index1 = TRY(reader.read_u32());
        break;
    case ImmKind::BrTable: {
        instruction.list_count = TRY(reader.read_count(1));
        instruction.list_offset = static_cast<u32>(reader.offset());
        for (u32 i = 0; i < instruction.list_count; ++i)
            TRY(reader.read_u32());
        instruction.index0 = TRY(reader.read_u32());
        break;
    }
    case ImmKind::MemArg:
        instruction.memarg = TRY(read_memarg(reader));
        break;
    case ImmKind::MemArgLane:
        instruction.memarg = TRY(read_memarg(reader));
        instruction.lane = TRY(reader.read_u8());
        break;
    case ImmKind::Lane:
        instruction.lane = TRY(reader.read_u8());
        break;
    case ImmKind::Shuffle:
    case ImmKind::V128: {
        auto bytes = TRY(reader.read_bytes(16));
        for (usize i = 0; i < 16; ++i)
            instruction.v128[i] = bytes[i];
        break;
    }
    case ImmKind::I32:
        instruction.bits = static_cast<u64>(static_cast<i64>(TRY(reader.read_s32())));
        break;
    case ImmKind::I64:
        instruction.bits = static_cast<u64>(TRY(reader.read_s64()));
        break;
    case ImmKind::F32:
        instruction.bits = TRY(reader.read_fixed<u32>());
        break;
    case ImmKind::F64:
        instruction.bits = TRY(reader.read_fixed<u64>());
        break;
    case ImmKind::HeapType:
        instruction.type0 = TRY(read_heap_type(reader, true));
        break;
    case ImmKind::SelectTypes: {
        instruction.list_count = TRY(reader.read_count(1));
        instruction.list_offset = static_cast<u32>(reader.offset());
        for (u32 i = 0; i < instruction.list_count; ++i) {
            ValType type = TRY(read_value_type(reader));
            if (i == 0)
                instruction.type0 = type;
        }
        break;
    }
    case ImmKind::BrOnCast: {
        usize flags_offset = reader.offset();
        instruction.cast_flags = TRY(reader.read_u8());
        if (instruction.cast_flags > 3)
            return Error::malformed("malformed cast flags", flags_offset);
        instruction.index0 = TRY(reader.read_u32());
        instruction.type0 = TRY(read_heap_type(reader, instruction.cast_flags & 1));
        instruction.type1 = TRY(read_heap_type(reader, instruction.cast_flags & 2));
        break;
    }
    case ImmKind::RefTypeHeap: {
        bool nullable = *opcode == Opcode::RefTestNull || *opcode == Opcode::RefCastNull
            || *opcode == Opcode::RefCastDescEqNull;
        instruction.type0 = TRY(read_heap_type(reader, nullable));
        break;
    }
    case ImmKind::TryTable: {
        instruction.block = TRY(read_block_type(reader));
        instruction.list_count = TRY(reader.read_count(2));
        instruction.list_offset = static_cast<u32>(reader.offset());
        for (u32 i = 0; i < instruction.list_count; ++i)
            TRY(read_catch_clause(reader));
        break;
    }
    case ImmKind::AtomicFence: {
        usize zero_offset = reader.offset();
        if (TRY(reader.read_u8()) != 0)
            return Error::malformed("zero byte expected", zero_offset);
        break;
    }
    }
    return {};
}

Result<void> skip_expression(Reader& reader)
{
    Instruction instruction;
    u32 depth = 0;
    for (;;) {
        TRY(read_instruction(reader, instruction));
        switch (instruction.opcode) {
        case Opcode::Block:
        case Opcode::Loop:
        case Opcode::If:
        case Opcode::Try:
        case Opcode::TryTable:
            ++depth;
            break;
        case Opcode::End:
            if (depth == 0)
                return {};
            --depth;
            break;
        case Opcode::Delegate: // closes a legacy try
            if (depth > 0)
                --depth;
            break;
        default:
            break;
        }
    }
}

} // namespace wk::engine
