#pragma once

#include "base/errno.h"
#include "base/ref_ptr.h"
#include "kernel/object/kernel_object.h"

// An event (docs/kernel-objects.md, "Events and timers"): eight user signal bits
// (signals::kUserMask) that holders of the signal right set and clear and holders of the wait
// right wait for. It holds no queue: a flood of signals changes bits, nothing accumulates.
//
// Contract: the bits change with interrupts off; every change wakes the waiters.
namespace wk::kernel::object {

class EventObject final : public KernelObject {
public:
    // NoMem.
    static ErrnoResult<RefPtr<KernelObject>> create();

    ObjectType type() const override { return ObjectType::Event; }
    u32 signals() const override;

    // Clears `clear_mask`, then sets `set_mask`. Inval (nothing changes) when either has a bit
    // outside signals::kUserMask.
    Errno signal(u32 set_mask, u32 clear_mask);

private:
    EventObject() = default;

    u32 m_signals { 0 };
};

} // namespace wk::kernel::object
