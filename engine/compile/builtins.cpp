#include "engine/compile/builtins.h"

#include "engine/compile/exceptions.h"

#include "engine/runtime/instance.h"
#include "engine/runtime/memory.h"
#include "engine/runtime/store.h"

namespace wk::engine::compile {

namespace {

u32 func_subtype(runtime::VMContext* vmctx, u32 actual, u32 expected)
{
    return runtime::Instance::from_vmctx(vmctx).store().types().is_type_subtype(actual, expected) ? 1 : 0;
}

void tier_up(runtime::VMContext* vmctx, u32 function_index)
{
    const runtime::LoadedModule& module = runtime::Instance::from_vmctx(vmctx).loaded_module();
    if (runtime::TierUpHooks* hooks = module.tier_up())
        hooks->function_hot(function_index);
}

uptr tier_up_loop(runtime::VMContext* vmctx, u32 function_index, u32 loop_offset)
{
    const runtime::LoadedModule& module = runtime::Instance::from_vmctx(vmctx).loaded_module();
    if (runtime::TierUpHooks* hooks = module.tier_up())
        return hooks->loop_hot(function_index, loop_offset);
    return 0;
}

} // namespace

const void* builtin_address(Builtin builtin)
{
    switch (builtin) {
    case Builtin::FuncSubtype: return reinterpret_cast<const void*>(&func_subtype);
    case Builtin::Throw: return throw_entry();
    case Builtin::TierUp: return reinterpret_cast<const void*>(&tier_up);
    case Builtin::TierUpLoop: return reinterpret_cast<const void*>(&tier_up_loop);
    case Builtin::Count: break;
    }
    return nullptr;
}

} // namespace wk::engine::compile
