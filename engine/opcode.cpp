#include "engine/opcode.h"

#include <array>
#include <bit>

namespace wk::engine {
namespace {

using detail::kNoOpcode;

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
