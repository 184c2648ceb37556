#include "engine/compile/tier.h"

#include <algorithm>

namespace wk::engine::compile {

StringView tier_name(Tier tier)
{
    switch (tier) {
    case Tier::Baseline: return "baseline";
    case Tier::Optimized: return "optimized";
    case Tier::Tiered: return "tiered";
    }
    return "unknown";
}

std::optional<Tier> parse_tier(StringView name)
{
    for (Tier tier : { Tier::Baseline, Tier::Optimized, Tier::Tiered }) {
        if (name == tier_name(tier))
            return tier;
    }
    return std::nullopt;
}

std::optional<i32> parse_tier_threshold(StringView text)
{
    if (text.empty() || text.size() > 10)
        return std::nullopt;
    u64 value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + static_cast<u64>(c - '0');
    }
    if (value < 1 || value > 0x7FFF'FFFFu)
        return std::nullopt;
    return static_cast<i32>(value);
}

Result<void> append_stack_maps(const FunctionCompiler& tier, Vector<StackMapEntry>& maps, Vector<u32>& bits)
{
    u32 moved = static_cast<u32>(bits.size());
    TRY(bits.try_extend(tier.stack_map_bits()));
    Span<const StackMapEntry> added = tier.stack_maps();
    usize held = maps.size();
    TRY(maps.try_resize(held + added.size()));
    // Both runs ascend (a tier records in code order and compiles functions at rising
    // bases): one merge from the back, in place.
    usize out = maps.size();
    for (usize taken = added.size(); taken > 0;) {
        if (held > 0 && maps[held - 1].code_offset > added[taken - 1].code_offset) {
            maps[--out] = maps[--held];
        } else {
            StackMapEntry entry = added[--taken];
            entry.bitmap += moved;
            maps[--out] = entry;
        }
    }
    return {};
}

void sort_handlers(Span<HandlerEntry> handlers)
{
    std::sort(handlers.begin(), handlers.end(), [](const HandlerEntry& a, const HandlerEntry& b) {
        return a.start != b.start ? a.start < b.start : a.end > b.end;
    });
}

} // namespace wk::engine::compile
