#pragma once

#include "base/ref_ptr.h"
#include "engine/runtime/vm.h"

namespace wk::engine::runtime {

// A function implemented by the host. Its VMFuncRef's vmctx is this object, so both
// entries receive it as their first argument:
//   array_call(HostFunction*, VMVal* values)  — required
//   native_code(HostFunction*, params...)     — optional, the wasm calling convention;
//     without it the compiler calls through a wasm → array-call trampoline.
// `data` is the host's own context.
class HostFunction : public RefCounted<HostFunction> {
public:
    HostFunction(u32 type_id, VMArrayCall array_call, const void* native_code, void* data)
        : m_data(data)
    {
        m_funcref.native_code = native_code;
        m_funcref.vmctx = reinterpret_cast<VMContext*>(this);
        m_funcref.type_id = type_id;
        m_funcref.flags = VMFuncRef::kFuncRefHost;
        m_funcref.array_call = array_call;
    }

    VMFuncRef* funcref() { return &m_funcref; }
    void* data() const { return m_data; }

    // The HostFunction a host entry received as its vmctx argument.
    static HostFunction& from_vmctx(VMContext* vmctx) { return *reinterpret_cast<HostFunction*>(vmctx); }

private:
    VMFuncRef m_funcref;
    void* m_data;
};

} // namespace wk::engine::runtime
