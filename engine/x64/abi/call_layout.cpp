#include "engine/x64/abi/call_layout.h"

namespace wk::engine::x64::abi {

Result<void> compute_call_layout(Span<const ValType> params, Span<const ValType> results, CallLayout& layout)
{
    layout.params.clear();
    layout.param_kinds.clear();
    layout.result_kinds.clear();
    TRY(layout.params.try_reserve(params.size()));
    TRY(layout.param_kinds.try_reserve(params.size()));
    TRY(layout.result_kinds.try_reserve(results.size()));
    u32 next_int = 0;
    u32 next_float = 0;
    u32 stack = 0;
    auto assign = [&](bool is_float, bool is_v128) {
        ArgSlot slot;
        slot.is_float = is_float;
        if (is_float && next_float < 8) {
            slot.reg = static_cast<u8>(next_float++);
        } else if (!is_float && next_int < 5) {
            slot.reg = number(kIntArgRegs[next_int++]);
        } else {
            if (is_v128)
                stack = (stack + 15) & ~15u;
            slot.on_stack = true;
            slot.stack_offset = stack;
            stack += is_v128 ? 16 : 8;
        }
        return slot;
    };
    for (ValType type : params) {
        if (type.kind == ValKind::Bottom || type.is_packed())
            return Error::from("invalid parameter type", ErrorKind::Invalid);
        bool is_float = type.kind == ValKind::F32 || type.kind == ValKind::F64 || type.kind == ValKind::V128;
        TRY(layout.params.try_append(assign(is_float, type.kind == ValKind::V128)));
        TRY(layout.param_kinds.try_append(type.kind));
    }
    for (ValType type : results)
        TRY(layout.result_kinds.try_append(type.kind));
    layout.results_in_memory = results.size() > 1;
    if (layout.results_in_memory)
        layout.results_pointer = assign(false, false);
    layout.stack_bytes = stack;
    return {};
}

} // namespace wk::engine::x64::abi
