#pragma once

#include "base/result.h"
#include "base/string_view.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/wasi/wasi_context.h"

namespace wk::engine::wasi {

inline constexpr StringView kModuleName = "wasi_snapshot_preview1";

// How many functions define_wasi() defines: all of wasi_snapshot_preview1.
inline constexpr usize kFunctionCount = 46;

// Defines every wasi_snapshot_preview1 function in `linker` as a host function of
// `store` over `context`, with both entries (engine/runtime/host_function.h): the
// native one has the call's exact wasm signature, so compiled code calls it directly.
// The context must outlive the store's use of the functions; bind its memory to the
// instance's memory 0 after instantiation (WasiContext::bind_memory).
Result<void> define_wasi(runtime::Store& store, runtime::Linker& linker, WasiContext& context);

} // namespace wk::engine::wasi
