#include "engine/wasi/exit.h"

#include "engine/runtime/trap.h"

namespace wk::engine::wasi {

void unwind_on_exit(void*, u32)
{
    Activation* activation = platform::current_activation();
    if (activation)
        unwind_activation(activation, TrapKind::Exit);
}

} // namespace wk::engine::wasi
