#include "kernel/object/kernel_object.h"

#include <atomic>

namespace wk::kernel::object {

namespace {
std::atomic<u64> g_live_objects { 0 };
}

KernelObject::KernelObject() { g_live_objects.fetch_add(1, std::memory_order_relaxed); }

KernelObject::~KernelObject() { g_live_objects.fetch_sub(1, std::memory_order_relaxed); }

u64 KernelObject::live_count() { return g_live_objects.load(std::memory_order_relaxed); }

} // namespace wk::kernel::object
