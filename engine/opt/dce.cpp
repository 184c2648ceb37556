// Dead code elimination (see passes.h): mark what effects and control flow need,
// transitively through operands and, for block parameters, the matching argument
// of every incoming edge; remove the rest.
#include "engine/opt/passes.h"

namespace wk::engine::opt {

Result<u32> eliminate_dead_code(Function& function)
{
    u32 changes = TRY(function.remove_unreachable_blocks());
    Vector<u8> live_value;
    Vector<u8> live_inst;
    Vector<Value> work;
    TRY(live_value.try_resize(function.value_count(), 0));
    TRY(live_inst.try_resize(function.inst_count(), 0));

    auto use = [&](Value value) -> Result<void> {
        if (!live_value[value]) {
            live_value[value] = 1;
            TRY(work.try_append(value));
        }
        return {};
    };
    for (Block block : function.layout()) {
        for (Inst inst : function.insts(block)) {
            if (is_removable(function.inst(inst).op))
                continue;
            live_inst[inst] = 1;
            for (Value arg : function.args(inst))
                TRY(use(arg));
        }
    }
    for (Value param : function.params(function.entry()))
        TRY(use(param));
    while (!work.is_empty()) {
        Value value = work.pop_back();
        const ValueData& data = function.value(value);
        if (data.kind == ValueKind::Result) {
            if (!live_inst[data.def]) {
                live_inst[data.def] = 1;
                for (Value arg : function.args(data.def))
                    TRY(use(arg));
            }
        } else if (data.kind == ValueKind::Param) {
            for (u32 edge : function.preds(data.def))
                TRY(use(function.edge_args(edge)[data.index]));
        }
    }

    for (Block block : function.layout()) {
        for (Inst inst : function.insts(block)) {
            if (!live_inst[inst]) {
                function.kill_inst(inst);
                ++changes;
            }
        }
        if (block == function.entry())
            continue;
        for (u32 k = static_cast<u32>(function.params(block).size()); k > 0; --k) {
            Value param = function.params(block)[k - 1];
            if (!live_value[param]) {
                function.remove_param(block, k - 1);
                function.value(param).kind = ValueKind::Dead;
                ++changes;
            }
        }
    }
    function.sweep_dead_insts();
    return changes;
}

} // namespace wk::engine::opt
