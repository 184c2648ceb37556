#include "base/format.h"
#include "engine/opt/passes.h"
#include "engine/opt/verifier.h"

namespace wk::engine::opt {

namespace {

struct Pass {
    const char* name;
    Result<u32> (*run)(Function&);
};

// Simplify first so folding sees through the parameters SSA construction left;
// fold; reduce strength (on what folding left non-constant); simplify what
// folding made trivial (selects, removed edges); merge the blocks that leaves in a
// chain, so GVN sees longer blocks; number values (which
// merges the constants folding made); hoist loop invariants after GVN, so one copy
// moves; number values again, since LICM gathers into one preheader the copies that
// sibling blocks of the loop computed and GVN could not merge (none dominated another:
// a switch's cases each computing `base + 2256`); make and move the explicit bounds
// checks (after LICM, so the addresses it hoisted are invariant); then drop what is dead. (CFG cleanup runs before LICM: it would thread
// away an empty preheader, and LICM makes none that stays empty.)
constexpr Pass kPasses[] = {
    { "simplify", simplify_block_params },
    { "fold", fold_constants },
    { "strength", reduce_strength },
    { "simplify", simplify_block_params },
    { "cfg", simplify_cfg },
    { "gvn", value_number },
    { "licm", hoist_loop_invariants },
    { "gvn", value_number },
    { "bounds", optimize_bounds_checks },
    { "dce", eliminate_dead_code },
};

} // namespace

Result<void> optimize(Function& function, const PipelineOptions& options)
{
    for (const Pass& pass : kPasses) {
        u32 changes = TRY(pass.run(function));
        if (options.verbose && options.log)
            format_to(*options.log, "pass {}: {} changes\n", pass.name, changes);
        if (options.verify) {
            auto verified = verify(function, options.log, options.module);
            if (verified.is_error()) {
                if (options.log)
                    format_to(*options.log, "after pass {}\n", pass.name);
                return verified.error();
            }
        }
    }
    return {};
}

} // namespace wk::engine::opt
