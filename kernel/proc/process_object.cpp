#include "kernel/proc/process_object.h"

#include "kernel/proc/process.h"

namespace wk::kernel::proc {

bool ProcessObject::attach(u32 pid)
{
    if (m_pid != 0 || !add_process_reference(pid))
        return false;
    m_pid = pid;
    return true;
}

u32 ProcessObject::signals() const
{
    ProcessInfo info;
    bool found = inspect(m_pid, info);
    return !found || info.state == ProcessState::Exited ? object::signals::kExited : 0;
}

ProcessObject::~ProcessObject()
{
    if (m_pid != 0)
        drop_process_reference(m_pid);
}

} // namespace wk::kernel::proc
