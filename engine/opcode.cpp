#include "engine/opcode.h"

#include <array>
#include <bit>

namespace wk::engine {
namespace {

constexpr u16 kNoOpcode = 0xFFFF;

// One dense table per prefix, indexed by the code that follows it.
template<u8 Prefix>
consteval u32 table_size()
{
    u32 size = 0;
    for (const auto& info : kOpcodeInfos) {
        if (info.prefix == Prefix && info.code + 1 > size)
            size = info.code + 1;
    }
    return size;
}

template<u8 Prefix>
consteval auto build_table()
{
    std::array<u16, table_size<Prefix>()> table {};
    for (auto& entry : table)
        entry = kNoOpcode;
    for (usize i = 0; i < kOpcodeCount; ++i) {
        if (kOpcodeInfos[i].prefix == Prefix)
            table[kOpcodeInfos[i].code] = static_cast<u16>(i);
    }
    return table;
}

constexpr auto kSingleByte = build_table<0>();
constexpr auto kPrefixFB = build_table<0xFB>();
constexpr auto kPrefixFC = build_table<0xFC>();
constexpr auto kPrefixFD = build_table<0xFD>();
constexpr auto kPrefixFE = build_table<0xFE>();

template<usize N>
std::optional<Opcode> look_up(const std::array<u16, N>& table, u32 code)
{
    if (code >= N || table[code] == kNoOpcode)
        return std::nullopt;
    return static_cast<Opcode>(table[code]);
}

constexpr u32 hash_name(std::string_view name)
{
    u32 hash = 2166136261u;
    for (char c : name)
        hash = (hash ^ static_cast<u8>(c)) * 16777619u;
    return hash;
}

// Open addressing, at most half full, so probes stay short.
constexpr usize kNameTableSize = std::bit_ceil(kOpcodeCount * 2);

consteval std::array<u16, kNameTableSize> build_name_table()
{
    std::array<u16, kNameTableSize> table {};
    for (auto& entry : table)
        entry = kNoOpcode;
    for (usize i = 0; i < kOpcodeCount; ++i) {
        std::string_view name(kOpcodeInfos[i].name);
        usize slot = hash_name(name) & (kNameTableSize - 1);
        while (table[slot] != kNoOpcode && std::string_view(kOpcodeInfos[table[slot]].name) != name)
            slot = (slot + 1) & (kNameTableSize - 1);
        if (table[slot] == kNoOpcode)
            table[slot] = static_cast<u16>(i);
    }
    return table;
}

constexpr auto kNameTable = build_name_table();

} // namespace

std::optional<Opcode> opcode_from_encoding(u8 prefix, u32 code)
{
    switch (prefix) {
    case 0: return look_up(kSingleByte, code);
    case 0xFB: return look_up(kPrefixFB, code);
    case 0xFC: return look_up(kPrefixFC, code);
    case 0xFD: return look_up(kPrefixFD, code);
    case 0xFE: return look_up(kPrefixFE, code);
    default: return std::nullopt;
    }
}

std::optional<Opcode> opcode_from_name(std::string_view name)
{
    usize slot = hash_name(name) & (kNameTableSize - 1);
    while (kNameTable[slot] != kNoOpcode) {
        if (std::string_view(kOpcodeInfos[kNameTable[slot]].name) == name)
            return static_cast<Opcode>(kNameTable[slot]);
        slot = (slot + 1) & (kNameTableSize - 1);
    }
    return std::nullopt;
}

} // namespace wk::engine
