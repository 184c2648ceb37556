#include "kernel/object/event.h"

#include <new>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/object/channel.h"

namespace wk::kernel::object {

ErrnoResult<RefPtr<KernelObject>> EventObject::create()
{
    auto* event = new (std::nothrow) EventObject;
    if (!event)
        return Errno::NoMem;
    return adopt_ref(*static_cast<KernelObject*>(event));
}

u32 EventObject::signals() const
{
    x86_64::InterruptDisabler guard;
    return m_signals;
}

Errno EventObject::signal(u32 set_mask, u32 clear_mask)
{
    if ((set_mask | clear_mask) & ~signals::kUserMask)
        return Errno::Inval;
    x86_64::InterruptDisabler guard;
    m_signals = (m_signals & ~clear_mask) | set_mask;
    notify_signal_change();
    return Errno::Success;
}

} // namespace wk::kernel::object
