#pragma once

#include <optional>
#include <string_view>

#include "base/types.h"

namespace wk::engine {

// How an instruction's immediates are laid out in the binary format.
enum class ImmKind : u8 {
    None,
    BlockType,    // s33 block type: 0x40, a value type, or a type index
    Label,        // u32 label depth
    BrTable,      // vec(label) default-label
    Func,         // u32 function index
    CallIndirect, // u32 type index, u32 table index
    Local,        // u32 local index
    Global,       // u32 global index
    Table,        // u32 table index
    TableCopy,    // u32 destination table, u32 source table
    TableInit,    // u32 element segment, u32 table
    Elem,         // u32 element segment
    Data,         // u32 data segment
    MemoryInit,   // u32 data segment, u32 memory
    Memory,       // u32 memory index
    MemoryCopy,   // u32 destination memory, u32 source memory
    MemArg,       // memarg: u32 flags (bit 6: memory index follows), [u32 memory], u64 offset
    MemArgLane,   // memarg, then a lane byte
    Lane,         // a lane byte
    Shuffle,      // 16 lane bytes
    I32,          // s32
    I64,          // s64
    F32,          // 4 bytes little-endian
    F64,          // 8 bytes little-endian
    V128,         // 16 bytes
    HeapType,     // heap type (s33 or abstract type byte)
    SelectTypes,  // vec(value type)
    Type,         // u32 type index
    TypeField,    // u32 type index, u32 field index
    TypeType,     // u32 destination type index, u32 source type index
    TypeData,     // u32 type index, u32 data segment
    TypeElem,     // u32 type index, u32 element segment
    TypeSize,     // u32 type index, u32 operand count
    BrOnCast,     // u8 cast flags, u32 label, heap type, heap type
    RefTypeHeap,  // heap type; nullability is part of the opcode
    Tag,          // u32 tag index
    TryTable,     // block type, vec(catch clause), see TryTable catch kinds
    AtomicFence,  // one reserved zero byte
};

// Which specification or proposal an instruction belongs to.
enum class Feature : u8 {
    Mvp,
    SignExtension,
    NontrappingFloatToInt,
    BulkMemory,
    ReferenceTypes,
    FunctionReferences,
    Gc,
    Simd,
    RelaxedSimd,
    Threads,
    Exceptions,
    LegacyExceptions,
    TailCall,
    WideArithmetic,
    CustomDescriptors,
};

// Dense: the row number in engine/opcodes.def.
enum class Opcode : u16 {
#define WK_OPCODE(ident, name, prefix, code, imm, sig, align, feature) ident,
#include "engine/opcodes.def"
#undef WK_OPCODE
};

inline constexpr usize kOpcodeCount = 0
#define WK_OPCODE(ident, name, prefix, code, imm, sig, align, feature) +1
#include "engine/opcodes.def"
#undef WK_OPCODE
    ;

// An operand or result of a table-typed instruction. Address is the index type
// (i32 or i64) of the memory the instruction's memarg names.
enum class SigType : u8 { I32, I64, F32, F64, V128, Address };

struct OpcodeInfo {
    const char* name;
    u8 prefix;
    u32 code;
    ImmKind imm;
    Feature feature;
    u8 align_log2;
    // The "sig" column, parsed. has_signature is false where the column is empty.
    bool has_signature;
    u8 param_count;
    u8 result_count;
    SigType params[4];
    SigType results[2];
};

namespace detail {

// Never defined: reaching it during constant evaluation fails the build.
void bad_opcode_table_row(const char* why);

constexpr SigType sig_type_from_char(char c)
{
    switch (c) {
    case 'i': return SigType::I32;
    case 'l': return SigType::I64;
    case 'f': return SigType::F32;
    case 'd': return SigType::F64;
    case 'v': return SigType::V128;
    case 'a': return SigType::Address;
    default: bad_opcode_table_row("bad signature character in engine/opcodes.def"); return SigType::I32;
    }
}

constexpr OpcodeInfo make_opcode_info(const char* name, u8 prefix, u32 code, ImmKind imm, const char* sig,
                                      u8 align_log2, Feature feature)
{
    OpcodeInfo info {name, prefix, code, imm, feature, align_log2, false, 0, 0, {}, {}};
    std::string_view text(sig);
    if (text.empty())
        return info;
    info.has_signature = true;
    bool in_results = false;
    for (char c : text) {
        if (c == ':') {
            in_results = true;
            continue;
        }
        if (in_results) {
            if (info.result_count >= 2)
                bad_opcode_table_row("too many results in engine/opcodes.def");
            info.results[info.result_count++] = sig_type_from_char(c);
        } else {
            if (info.param_count >= 4)
                bad_opcode_table_row("too many params in engine/opcodes.def");
            info.params[info.param_count++] = sig_type_from_char(c);
        }
    }
    if (!in_results)
        bad_opcode_table_row("signature without ':' in engine/opcodes.def");
    return info;
}

} // namespace detail

inline constexpr OpcodeInfo kOpcodeInfos[kOpcodeCount] = {
#define WK_OPCODE(ident, name, prefix, code, imm, sig, align, feature) \
    detail::make_opcode_info(name, prefix, code, ImmKind::imm, sig, align, Feature::feature),
#include "engine/opcodes.def"
#undef WK_OPCODE
};

constexpr const OpcodeInfo& opcode_info(Opcode opcode) { return kOpcodeInfos[static_cast<u16>(opcode)]; }
constexpr const char* opcode_name(Opcode opcode) { return opcode_info(opcode).name; }

constexpr bool is_prefix_byte(u8 byte) { return byte == 0xFB || byte == 0xFC || byte == 0xFD || byte == 0xFE; }

namespace detail {

inline constexpr u16 kNoOpcode = 0xFFFF;

template<u8 Prefix>
consteval u32 encoding_table_size()
{
    u32 size = 0;
    for (const auto& info : kOpcodeInfos) {
        if (info.prefix == Prefix && info.code + 1 > size)
            size = info.code + 1;
    }
    return size;
}

// One dense table per prefix, indexed by the code that follows it.
template<u8 Prefix>
struct EncodingTable {
    static constexpr u32 kSize = encoding_table_size<Prefix>();
    u16 entries[kSize];

    consteval EncodingTable()
        : entries {}
    {
        for (auto& entry : entries)
            entry = kNoOpcode;
        for (usize i = 0; i < kOpcodeCount; ++i) {
            if (kOpcodeInfos[i].prefix == Prefix)
                entries[kOpcodeInfos[i].code] = static_cast<u16>(i);
        }
    }

    constexpr std::optional<Opcode> find(u32 code) const
    {
        if (code >= kSize || entries[code] == kNoOpcode)
            return std::nullopt;
        return static_cast<Opcode>(entries[code]);
    }
};

inline constexpr EncodingTable<0> kSingleByteOpcodes {};
inline constexpr EncodingTable<0xFB> kPrefixFBOpcodes {};
inline constexpr EncodingTable<0xFC> kPrefixFCOpcodes {};
inline constexpr EncodingTable<0xFD> kPrefixFDOpcodes {};
inline constexpr EncodingTable<0xFE> kPrefixFEOpcodes {};

} // namespace detail

// O(1): prefix is 0 for single-byte opcodes. Unknown encodings give nullopt.
constexpr std::optional<Opcode> opcode_from_encoding(u8 prefix, u32 code)
{
    switch (prefix) {
    case 0: return detail::kSingleByteOpcodes.find(code);
    case 0xFB: return detail::kPrefixFBOpcodes.find(code);
    case 0xFC: return detail::kPrefixFCOpcodes.find(code);
    case 0xFD: return detail::kPrefixFDOpcodes.find(code);
    case 0xFE: return detail::kPrefixFEOpcodes.find(code);
    default: return std::nullopt;
    }
}

// O(1) expected, over the text names. Where rows share a name (select, ref.test,
// ref.cast, ref.cast_desc_eq) this returns the first row in table order; the
// text parser picks the sibling from the immediates it parses.
std::optional<Opcode> opcode_from_name(std::string_view name);

} // namespace wk::engine
