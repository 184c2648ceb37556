// Copy propagation through block parameters (see passes.h).
#include "engine/opt/passes.h"

namespace wk::engine::opt {

Result<u32> simplify_block_params(Function& function)
{
    u32 removed = 0;
    bool progress = true;
    while (progress) {
        progress = false;
        for (Block block : function.layout()) {
            if (block == function.entry())
                continue;
            for (u32 k = static_cast<u32>(function.params(block).size()); k > 0; --k) {
                u32 index = k - 1;
                Value param = function.params(block)[index];
                Value same = kNone;
                bool trivial = true;
                for (u32 edge : function.preds(block)) {
                    Value arg = function.resolve(function.edge_args(edge)[index]);
                    if (arg == param || arg == same)
                        continue;
                    if (same != kNone) {
                        trivial = false;
                        break;
                    }
                    same = arg;
                }
                if (!trivial || same == kNone)
                    continue;
                function.remove_param(block, index);
                function.make_alias(param, same);
                ++removed;
                progress = true;
            }
        }
    }
    function.resolve_aliases();
    return removed;
}

} // namespace wk::engine::opt
