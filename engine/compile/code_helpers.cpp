#include "engine/compile/code_helpers.h"

#include "engine/compile/exceptions.h"

#include "engine/runtime/instance.h"
#include "engine/runtime/memory.h"
#include "engine/runtime/store.h"
#include "engine/runtime/trap.h"

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

uptr lazy_compile(runtime::VMContext* vmctx, u32 function_index)
{
    uptr slot = 0;
    {
        const runtime::LoadedModule& module = runtime::Instance::from_vmctx(vmctx).loaded_module();
        if (runtime::TierUpHooks* hooks = module.tier_up())
            slot = hooks->compile_lazily(function_index);
    }
    // NOTE: nothing in this frame owns anything here: the unwind skips it.
    if (slot == 0)
        unwind_activation(platform::current_activation(), TrapKind::LazyCompileFailed);
    return slot;
}

} // namespace

const void* code_helper_address(CodeHelper helper)
{
    switch (helper) {
    case CodeHelper::FuncSubtype: return reinterpret_cast<const void*>(&func_subtype);
    case CodeHelper::Throw: return throw_entry();
    case CodeHelper::TierUp: return reinterpret_cast<const void*>(&tier_up);
    case CodeHelper::TierUpLoop: return reinterpret_cast<const void*>(&tier_up_loop);
    case CodeHelper::LazyCompile: return reinterpret_cast<const void*>(&lazy_compile);
    case CodeHelper::Count: break;
    }
    return nullptr;
}

CodeHelperAddresses::CodeHelperAddresses()
{
    for (u32 i = 0; i < static_cast<u32>(CodeHelper::Count); ++i)
        addresses[i] = code_helper_address(static_cast<CodeHelper>(i));
}

} // namespace wk::engine::compile
