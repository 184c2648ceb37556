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

} // namespace

const void* builtin_address(Builtin builtin)
{
    switch (builtin) {
    case Builtin::FuncSubtype: return reinterpret_cast<const void*>(&func_subtype);
    case Builtin::Throw: return throw_entry();
    case Builtin::Count: break;
    }
    return nullptr;
}

} // namespace wk::engine::compile
