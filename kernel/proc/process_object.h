#pragma once

#include "base/types.h"
#include "kernel/object/kernel_object.h"

namespace wk::kernel::proc {

// A process behind handles (docs/kernel-objects.md). It names its process by pid (pids are
// never reused, so a process that is gone is simply not found) and holds one of the process's
// references: a process whose last object dies while it runs becomes an orphan, reaped once
// it has exited, as when its parent exited before waiting.
class ProcessObject final : public object::KernelObject {
public:
    ProcessObject() = default;
    ~ProcessObject() override;
    object::ObjectType type() const override { return object::ObjectType::Process; }
    // signals::kExited once the process has exited or is gone (waited for).
    u32 signals() const override;

    // Ties the object to process `pid` (once). False when there is no such process.
    bool attach(u32 pid);
    u32 pid() const { return m_pid; }

private:
    u32 m_pid { 0 };
};

} // namespace wk::kernel::proc
