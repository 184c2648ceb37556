#pragma once

#include "base/types.h"

// Engine-wide limits on what a module may declare, checked by decode_module with an
// ErrorKind::Malformed error naming the limit ("too many functions (limit 1000000)").
// They are the WebAssembly JS API's implementation limits (V8, SpiderMonkey and
// JavaScriptCore enforce the same; document/js-api "Limits"), so a module that runs in a
// browser decodes here, and they bound what compiling a hostile module may cost: the
// baseline compiler needs about 95 bytes per input byte for tiny functions (measured in
// docs/engine-decoder.md).
namespace wk::engine::limits {

inline constexpr u64 kModuleSize = u64 { 1 } << 30; // bytes (1 GiB)
inline constexpr u32 kTypes = 1'000'000;            // all types, rec group members included
inline constexpr u32 kRecGroups = 1'000'000;
inline constexpr u32 kFunctions = 1'000'000; // imported and defined
inline constexpr u32 kImports = 1'000'000;
inline constexpr u32 kExports = 1'000'000;
inline constexpr u32 kGlobals = 1'000'000; // imported and defined
inline constexpr u32 kTags = 1'000'000;    // imported and defined
inline constexpr u32 kTables = 100'000;    // imported and defined
inline constexpr u32 kMemories = 100'000;  // imported and defined
inline constexpr u32 kDataSegments = 100'000;
inline constexpr u32 kElementSegments = 10'000'000;
inline constexpr u32 kElementSegmentItems = 10'000'000; // items in one element segment
inline constexpr u32 kParams = 1'000;                   // of one function type
inline constexpr u32 kResults = 1'000;                  // of one function type
inline constexpr u32 kStructFields = 10'000;
inline constexpr u32 kFunctionBodySize = 7'654'321; // bytes, local declarations included
inline constexpr u32 kLocals = 50'000;              // declared in one function body

} // namespace wk::engine::limits
