#pragma once

#include <optional>

#include "base/result.h"
#include "base/string.h"
#include "base/string_view.h"
#include "base/vector.h"
#include "engine/text/wat.h"

namespace wk::engine::text {

// A parsed .wast script. Views (ids) point into the source, which must outlive
// the Script. Every command carries its 1-based line and byte offset.

enum class ModuleKind : u8 {
    Text,   // encoded while parsing: `binary` holds the bytes, or `error` says why not
    Binary, // `(module binary "...")`: `binary` holds the bytes as written
    Quote,  // `(module quote "...")`: `quote` holds the text; parse it when reached
};

struct ScriptModule {
    ModuleKind kind { ModuleKind::Text };
    bool is_definition { false };   // `(module definition ...)`: not instantiated
    std::optional<StringView> id;   // `$name` without the `$`
    Vector<u8> binary;
    std::optional<Error> error;     // Text modules whose encoding failed
    String quote;
    Features features;              // the script's: quote modules are encoded with it, decode with it
    u32 offset { 0 };               // of the `(module`

    // The module's bytes: encodes quoted text now; a text module's encoding error.
    Result<Vector<u8>> to_binary() const;
};

enum class ValueKind : u8 { I32, I64, F32, F64, V128, RefNull, RefExtern, RefHost, RefFunc };

// A script-level constant argument.
struct Value {
    ValueKind kind { ValueKind::I32 };
    u64 bits { 0 };               // scalars; ref.extern/ref.host payload; ref.func index
    u8 v128[16] {};
    bool heap_is_index { false }; // ref.null: heap is a type index or an abstract heap type byte
    u32 heap { 0 };
};

enum class NanPattern : u8 { None, Canonical, Arithmetic };

enum class V128Shape : u8 { I8x16, I16x8, I32x4, I64x2, F32x4, F64x2 };

struct LanePattern {
    u64 bits { 0 };
    NanPattern nan { NanPattern::None };
};

// An expected result of assert_return.
struct ResultPattern {
    enum class Kind : u8 {
        I32, I64, F32, F64, // `bits`, or `nan` for floats
        V128,               // `shape` and `lanes` (floating lanes may be nan patterns)
        RefNull,            // any null of `heap` (heap_given false: any null at all)
        RefFunc,            // a function reference (has_payload: with that index)
        RefExtern,          // an external reference (has_payload: with that host value)
        RefHost,            // host reference `bits`
        RefStruct, RefArray, RefI31, RefEq, RefAny, RefExn,
        Either,             // any one of `alternatives`
    };
    Kind kind { Kind::I32 };
    NanPattern nan { NanPattern::None };
    u64 bits { 0 };
    bool has_payload { false };
    bool heap_given { false };
    bool heap_is_index { false };
    u32 heap { 0 };
    V128Shape shape { V128Shape::I32x4 };
    LanePattern lanes[16] {};
    Vector<ResultPattern> alternatives;
};

struct Action {
    enum class Kind : u8 { Invoke, Get };
    Kind kind { Kind::Invoke };
    std::optional<StringView> module_id;
    String name;                  // decoded export name
    Vector<Value> args;
};

enum class CommandKind : u8 {
    Module,                // module
    ModuleInstance,        // `(module instance $i? $m?)`: instance_id, definition_id
    Register,              // register_name, register_module (none: the latest module)
    Action,                // a bare invoke/get
    AssertReturn,          // action, results
    AssertTrap,            // action or module, message
    AssertExhaustion,      // action, message
    AssertException,       // action
    AssertMalformed,       // module, message
    AssertInvalid,         // module, message
    AssertUnlinkable,      // module, message
    AssertUninstantiable,  // module, message
    AssertMalformedCustom, // module, message (custom-section annotations)
    AssertInvalidCustom,   // module, message
    Thread,                // `(thread $t (shared (module $m))* command*)`: thread_id, shared_modules, thread_commands
    Wait,                  // `(wait $t)`: thread_id
};

struct Command {
    CommandKind kind { CommandKind::Module };
    u32 line { 0 };
    u32 offset { 0 };
    bool has_module { false };
    ScriptModule module;
    bool has_action { false };
    Action action;
    Vector<ResultPattern> results;
    String message;
    std::optional<StringView> instance_id;
    std::optional<StringView> definition_id;
    String register_name;
    std::optional<StringView> register_module;
    std::optional<StringView> thread_id;
    Vector<StringView> shared_modules;
    Vector<Command> thread_commands; // threads do not nest
};

struct Script {
    Vector<Command> commands;
};

// Parses a whole script. Text modules are encoded here; a module that fails to
// encode is recorded in its command (ScriptModule::error), not a script error.
// `features` picks the text rules where suites disagree, for the text and the
// quoted modules (the runner passes Features::for_suite_path of the script).
Result<Script> parse_wast(StringView source, Features features = {});

// 1-based line of a byte offset.
u32 line_of_offset(StringView source, u64 offset);

} // namespace wk::engine::text
