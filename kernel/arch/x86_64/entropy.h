#pragma once

#include "base/types.h"

namespace wk::kernel::x86_64 {

// 64 bits for seeding (heap cookies, hash-table seeds): RDRAND when the CPU has it, mixed with
// the TSC. Not for cryptography: without RDRAND it is only timer jitter.
u64 boot_entropy();

} // namespace wk::kernel::x86_64
