#pragma once

#include "engine/module.h"
#include "engine/runtime/vm.h"

namespace wk::engine::runtime {

class Table;
class Memory;
class Global;
class Tag;

// A value that can be imported or exported. Functions are VMFuncRef entries (of the
// exporting instance, or of a HostFunction); the others are store objects. All are
// owned by the store and live as long as it does.
struct Extern {
    ExternKind kind { ExternKind::Func };
    union {
        VMFuncRef* func;
        Table* table;
        Memory* memory;
        Global* global;
        Tag* tag;
    };

    Extern()
        : func(nullptr)
    {
    }
    static Extern from(VMFuncRef* value) { Extern e; e.kind = ExternKind::Func; e.func = value; return e; }
    static Extern from(Table* value) { Extern e; e.kind = ExternKind::Table; e.table = value; return e; }
    static Extern from(Memory* value) { Extern e; e.kind = ExternKind::Memory; e.memory = value; return e; }
    static Extern from(Global* value) { Extern e; e.kind = ExternKind::Global; e.global = value; return e; }
    static Extern from(Tag* value) { Extern e; e.kind = ExternKind::Tag; e.tag = value; return e; }
};

} // namespace wk::engine::runtime
