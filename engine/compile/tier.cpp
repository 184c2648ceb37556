#include "engine/compile/tier.h"

namespace wk::engine::compile {

StringView tier_name(Tier tier)
{
    switch (tier) {
    case Tier::Baseline: return "baseline";
    case Tier::Optimized: return "optimized";
    }
    return "unknown";
}

std::optional<Tier> parse_tier(StringView name)
{
    for (Tier tier : { Tier::Baseline, Tier::Optimized }) {
        if (name == tier_name(tier))
            return tier;
    }
    return std::nullopt;
}

} // namespace wk::engine::compile
