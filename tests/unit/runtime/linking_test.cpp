#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "base/format.h"
#include "engine/runtime/global.h"
#include "engine/runtime/spectest.h"
#include "support.h"

namespace wk::engine::runtime {

using namespace testing;

namespace {

struct LinkingTest : ::testing::Test {
    void SetUp() override
    {
        MUST(define_spectest(*store, linker, &output));
        exporter = must_instantiate(*store, linker, R"(
            (module
              (type $sup (sub (func (param i32))))
              (type $sub (sub $sup (func (param i32))))
              (func (export "f_i32") (param i32))
              (func (export "f_sub") (type $sub))
              (func (export "f_none"))
              (global (export "g_mut") (mut i32) (i32.const 11))
              (global (export "g_funcref") funcref (ref.func 2))
              (global (export "g_ref_sub") (ref null $sub) (ref.null $sub))
              (table (export "tab") 5 15 funcref)
              (table (export "tab_unbounded") 5 funcref)
              (table (export "tab_extern") 1 externref)
              (memory (export "mem") 2 4)
              (memory (export "mem64") i64 1 2)
              (memory (export "mem_1") 1 (pagesize 1))
              (tag (export "tag") (param i32)))
        )");
        ASSERT_TRUE(exporter);
        MUST(linker.define_instance("M", *exporter));
    }

    ::testing::AssertionResult links(const char* imports)
    {
        std::string wat = std::string("(module ") + imports + ")";
        auto result = instantiate(*store, linker, wat.c_str());
        if (result.is_error())
            return ::testing::AssertionFailure() << describe(result.error());
        return ::testing::AssertionSuccess();
    }

    ::testing::AssertionResult refused(const char* imports, const char* message = "incompatible import type")
    {
        std::string wat = std::string("(module ") + imports + ")";
        return fails_with(instantiate(*store, linker, wat.c_str()), ErrorKind::Unlinkable, message);
    }

    StringBuilder output;
    RefPtr<Store> store = make_store();
    Linker linker;
    RefPtr<Instance> exporter;
};

} // namespace

TEST_F(LinkingTest, UnknownImports)
{
    EXPECT_TRUE(refused(R"((import "M" "missing" (func)))", "unknown import"));
    EXPECT_TRUE(refused(R"((import "N" "f_i32" (func (param i32))))", "unknown import"));
    EXPECT_TRUE(refused(R"((import "spectest" "unknown" (global i32)))", "unknown import"));
}

TEST_F(LinkingTest, WrongKind)
{
    EXPECT_TRUE(refused(R"((import "M" "f_i32" (global i32)))"));
    EXPECT_TRUE(refused(R"((import "M" "mem" (table 1 funcref)))"));
    EXPECT_TRUE(refused(R"((import "spectest" "table" (memory 1)))"));
    EXPECT_TRUE(refused(R"((import "M" "g_mut" (func)))"));
    EXPECT_TRUE(refused(R"((import "M" "tag" (func (param i32))))"));
}

TEST_F(LinkingTest, FunctionTypes)
{
    EXPECT_TRUE(links(R"((import "M" "f_i32" (func (param i32))))"));
    EXPECT_TRUE(links(R"((import "M" "f_none" (func)))"));
    EXPECT_TRUE(refused(R"((import "M" "f_i32" (func)))"));
    EXPECT_TRUE(refused(R"((import "M" "f_i32" (func (param i64))))"));
    EXPECT_TRUE(refused(R"((import "M" "f_i32" (func (param i32) (result i32))))"));
    EXPECT_TRUE(refused(R"((import "spectest" "print_i32" (func (param f32))))"));
    EXPECT_TRUE(links(R"((import "spectest" "print_f64_f64" (func (param f64 f64))))"));
}

TEST_F(LinkingTest, FunctionSubtyping)
{
    // A subtype's function satisfies an import of its supertype, not the other way.
    const char* types = R"((type $sup (sub (func (param i32)))) (type $sub (sub $sup (func (param i32)))))";
    EXPECT_TRUE(links((std::string(types) + R"((import "M" "f_sub" (func (type $sup))))").c_str()));
    EXPECT_TRUE(links((std::string(types) + R"((import "M" "f_sub" (func (type $sub))))").c_str()));
    EXPECT_TRUE(refused((std::string(types) + R"((import "M" "f_i32" (func (type $sub))))").c_str()));
    // A final type with the same structure is a different type from the open $sup.
    EXPECT_TRUE(refused(R"((import "M" "f_sub" (func (param i32))))"));
}

TEST_F(LinkingTest, ImportedFunctionEntryIsTheExporters)
{
    auto importer = must_instantiate(*store, linker, R"((module (import "M" "f_i32" (func (param i32))) (func)))");
    ASSERT_TRUE(importer);
    VMFuncRef* exported = exporter->get_export("f_i32")->func;
    VMFuncRef* imported = importer->function(0);
    EXPECT_EQ(imported->vmctx, exporter->vmctx());
    EXPECT_EQ(imported->type_id, exported->type_id);
    EXPECT_EQ(imported->native_code, exported->native_code);
    EXPECT_EQ(importer->function(1)->vmctx, importer->vmctx());
}

TEST_F(LinkingTest, Globals)
{
    EXPECT_TRUE(links(R"((import "M" "g_mut" (global (mut i32))))"));
    EXPECT_TRUE(refused(R"((import "M" "g_mut" (global i32)))"));
    EXPECT_TRUE(refused(R"((import "M" "g_mut" (global (mut i64))))"));
    EXPECT_TRUE(refused(R"((import "spectest" "global_i32" (global (mut i32))))"));
    EXPECT_TRUE(refused(R"((import "spectest" "global_i32" (global f32)))"));
    // Immutable globals are covariant; mutable ones invariant.
    EXPECT_TRUE(links(R"((import "M" "g_funcref" (global funcref)))"));
    EXPECT_TRUE(refused(R"((import "M" "g_funcref" (global (ref func))))"));
    const char* types = R"((type $sup (sub (func (param i32)))) (type $sub (sub $sup (func (param i32)))))";
    EXPECT_TRUE(links((std::string(types) + R"((import "M" "g_ref_sub" (global (ref null $sup))))").c_str()));
    EXPECT_TRUE(links((std::string(types) + R"((import "M" "g_ref_sub" (global funcref)))").c_str()));
    EXPECT_TRUE(refused((std::string(types) + R"((import "M" "g_funcref" (global (ref null $sup))))").c_str()));
}

TEST_F(LinkingTest, ImportedGlobalsShareTheCell)
{
    auto importer = must_instantiate(*store, linker, R"(
        (module (import "M" "g_mut" (global $g (mut i32)))
                (import "spectest" "global_i32" (global $k i32))
                (global (export "copy") i32 (global.get $k))))");
    ASSERT_TRUE(importer);
    EXPECT_EQ(importer->get_export("copy")->global->value().i32_value(), 666);
    Global* shared = exporter->get_export("g_mut")->global;
    EXPECT_EQ(importer->global(0), shared);
    const VMOffsets& offsets = importer->loaded_module().offsets();
    VMGlobal* cell;
    std::memcpy(&cell, reinterpret_cast<u8*>(importer->vmctx()) + offsets.global(0), sizeof(cell));
    EXPECT_EQ(cell, shared->cell());
    shared->set_value(VMVal::from_i32(-3));
    EXPECT_EQ(cell->i32_value(), -3);
}

TEST_F(LinkingTest, TableLimitsAndTypes)
{
    EXPECT_TRUE(links(R"((import "M" "tab" (table 5 funcref)))"));
    EXPECT_TRUE(links(R"((import "M" "tab" (table 0 15 funcref)))"));
    EXPECT_TRUE(links(R"((import "M" "tab" (table 3 20 funcref)))"));
    EXPECT_TRUE(refused(R"((import "M" "tab" (table 6 funcref)))"));      // min too large
    EXPECT_TRUE(refused(R"((import "M" "tab" (table 5 14 funcref)))"));   // max too small
    EXPECT_TRUE(refused(R"((import "M" "tab_unbounded" (table 5 100 funcref)))")); // no max
    EXPECT_TRUE(refused(R"((import "M" "tab" (table 5 externref)))"));
    EXPECT_TRUE(refused(R"((import "M" "tab_extern" (table 1 funcref)))"));
    EXPECT_TRUE(refused(R"((import "M" "tab" (table i64 5 funcref)))"));
    // Matching uses the current size: after growing, a larger min links.
    Table* table = exporter->get_export("tab")->table;
    EXPECT_EQ(table->grow(3, nullptr), 5u);
    EXPECT_TRUE(links(R"((import "M" "tab" (table 8 15 funcref)))"));
}

TEST_F(LinkingTest, MemoryLimitsAndShapes)
{
    EXPECT_TRUE(links(R"((import "M" "mem" (memory 2)))"));
    EXPECT_TRUE(links(R"((import "M" "mem" (memory 1 4)))"));
    EXPECT_TRUE(refused(R"((import "M" "mem" (memory 3)))"));
    EXPECT_TRUE(refused(R"((import "M" "mem" (memory 2 3)))"));
    EXPECT_TRUE(refused(R"((import "M" "mem" (memory i64 2)))"));
    EXPECT_TRUE(links(R"((import "M" "mem64" (memory i64 1 2)))"));
    EXPECT_TRUE(refused(R"((import "M" "mem64" (memory 1 2)))"));
    EXPECT_TRUE(refused(R"((import "M" "mem" (memory 2 4 shared)))"));
    EXPECT_TRUE(links(R"((import "spectest" "shared_memory" (memory 1 2 shared)))"));
    EXPECT_TRUE(refused(R"((import "spectest" "shared_memory" (memory 1 2)))"));
    EXPECT_TRUE(links(R"((import "M" "mem_1" (memory 1 (pagesize 1))))"));
    EXPECT_TRUE(refused(R"((import "M" "mem_1" (memory 1)))"));
    EXPECT_TRUE(refused(R"((import "M" "mem" (memory 1 (pagesize 1))))"));
}

TEST_F(LinkingTest, ImportedMemoryIsShared)
{
    auto importer = must_instantiate(*store, linker, R"(
        (module (import "M" "mem" (memory 2)) (data (i32.const 3) "hi")))");
    ASSERT_TRUE(importer);
    Memory* memory = exporter->get_export("mem")->memory;
    EXPECT_EQ(importer->memory(0), memory);
    EXPECT_EQ(memory->base()[3], 'h');
    u8* base;
    std::memcpy(&base, reinterpret_cast<u8*>(importer->vmctx()) + VMOffsets::kMemory0Base, sizeof(base));
    EXPECT_EQ(base, memory->base());
}

TEST_F(LinkingTest, Tags)
{
    EXPECT_TRUE(links(R"((import "M" "tag" (tag (param i32))))"));
    EXPECT_TRUE(refused(R"((import "M" "tag" (tag (param i64))))"));
    EXPECT_TRUE(refused(R"((import "M" "tag" (tag)))"));
}

TEST_F(LinkingTest, TypeIdsAreCanonicalAcrossModules)
{
    auto a = must_instantiate(*store, linker, R"((module (type (func (param i32) (result i64))) (type (func)) (func (type 0) (i64.const 0))))");
    auto b = must_instantiate(*store, linker, R"((module (type (func)) (type (func (param i32) (result i64))) (func (type 1) (i64.const 0))))");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->type_id(0), b->type_id(1));
    EXPECT_EQ(a->type_id(1), b->type_id(0));
    EXPECT_EQ(a->function(0)->type_id, b->function(0)->type_id);
    // Same structure in a different rec group shape is a different type.
    auto c = must_instantiate(*store, linker, R"((module (rec (type (func (param i32) (result i64))) (type (func)))))");
    ASSERT_TRUE(c);
    EXPECT_NE(c->type_id(0), a->type_id(0));
    auto d = must_instantiate(*store, linker, R"((module (rec (type (func (param i32) (result i64))) (type (func)))))");
    ASSERT_TRUE(d);
    EXPECT_EQ(c->type_id(0), d->type_id(0));
    EXPECT_EQ(c->type_id(1), d->type_id(1));
    // Recursive references compare by position in the group.
    auto e = must_instantiate(*store, linker, R"((module (rec (type $r (func (param (ref null $r)))))))");
    auto f = must_instantiate(*store, linker, R"((module (type $x (func)) (rec (type $r (func (param (ref null $r)))))))");
    ASSERT_TRUE(e && f);
    EXPECT_EQ(e->type_id(0), f->type_id(1));
    // Host function types intern to the same ids as module types.
    ValType params[] = { ValType::i32() };
    ValType results[] = { ValType::i64() };
    EXPECT_EQ(MUST(store->types().intern_function(params, results)), a->type_id(0));
}

TEST_F(LinkingTest, Spectest)
{
    auto instance = must_instantiate(*store, linker, R"(
        (module
          (import "spectest" "global_i32" (global $i i32))
          (import "spectest" "global_i64" (global $l i64))
          (import "spectest" "global_f32" (global $f f32))
          (import "spectest" "global_f64" (global $d f64))
          (import "spectest" "table" (table 10 20 funcref))
          (import "spectest" "table64" (table i64 10 20 funcref))
          (import "spectest" "memory" (memory 1 2))
          (import "spectest" "print" (func))
          (import "spectest" "print_i32" (func (param i32)))
          (import "spectest" "print_i64" (func (param i64)))
          (import "spectest" "print_f32" (func (param f32)))
          (import "spectest" "print_f64" (func (param f64)))
          (import "spectest" "print_i32_f32" (func (param i32 f32)))
          (import "spectest" "print_f64_f64" (func (param f64 f64))))
    )");
    ASSERT_TRUE(instance);
    EXPECT_EQ(instance->global(0)->value().i32_value(), 666);
    EXPECT_EQ(instance->global(1)->value().i64_value(), 666);
    EXPECT_EQ(instance->global(2)->value().f32_value(), 666.6f);
    EXPECT_EQ(instance->global(3)->value().f64_value(), 666.6);
    EXPECT_EQ(instance->table(0)->size(), 10u);
    EXPECT_EQ(instance->table(0)->max_size(), 20u);
    EXPECT_EQ(instance->table(0)->get(0), nullptr);
    EXPECT_TRUE(instance->table(1)->is_64());
    EXPECT_EQ(instance->memory(0)->size_pages(), 1u);
    EXPECT_EQ(instance->memory(0)->max_pages(), 2u);

    // The suite's own import checks (imports.wast).
    EXPECT_TRUE(links(R"((import "spectest" "memory" (memory 1 3)))"));
    EXPECT_TRUE(links(R"((import "spectest" "memory" (memory 0)))"));
    EXPECT_TRUE(refused(R"((import "spectest" "memory" (memory 2)))"));
    EXPECT_TRUE(refused(R"((import "spectest" "memory" (memory 1 1)))"));
    EXPECT_TRUE(refused(R"((import "spectest" "memory" (memory 0 3 shared)))"));
    EXPECT_TRUE(links(R"((import "spectest" "table" (table 0 funcref)))"));
    EXPECT_TRUE(refused(R"((import "spectest" "table" (table 12 funcref)))"));
    EXPECT_TRUE(refused(R"((import "spectest" "table" (table 10 15 funcref)))"));
    EXPECT_TRUE(refused(R"((import "spectest" "global_i64" (global i32)))"));

    // Host functions run through their array-call entries.
    VMFuncRef* print_i32 = instance->function(1);
    VMVal values[2] = { VMVal::from_i32(-5) };
    print_i32->array_call(print_i32->vmctx, values);
    VMFuncRef* print_f64_f64 = instance->function(6);
    values[0] = VMVal::from_f64_bits(__builtin_bit_cast(u64, 1.5));
    values[1] = VMVal::from_f64_bits(__builtin_bit_cast(u64, -2.0));
    print_f64_f64->array_call(print_f64_f64->vmctx, values);
    EXPECT_EQ(std::string(output.view()), "-5 : i32\n1.500000 : f64\n-2.000000 : f64\n");
    // And through their native entries with the wasm calling convention.
    output.clear();
    reinterpret_cast<void (*)(VMContext*, u32)>(const_cast<void*>(print_i32->native_code))(print_i32->vmctx, 42);
    EXPECT_EQ(std::string(output.view()), "42 : i32\n");
}

TEST_F(LinkingTest, RegisteringANameAgainReplacesItsExports)
{
    auto second = must_instantiate(*store, linker, R"((module (global (export "only_here") i32 (i32.const 5))))");
    ASSERT_TRUE(second);
    EXPECT_TRUE(linker.resolve("M", "mem").has_value());
    MUST(linker.define_instance("M", *second));
    EXPECT_FALSE(linker.resolve("M", "mem").has_value());
    EXPECT_FALSE(linker.resolve("M", "f_i32").has_value());
    EXPECT_TRUE(linker.resolve("M", "only_here").has_value());
    EXPECT_TRUE(refused(R"((import "M" "mem" (memory 1)))", "unknown import"));
    // Other modules' names, even ones starting with the same bytes, stay.
    EXPECT_TRUE(linker.resolve("spectest", "memory").has_value());
    MUST(linker.define("MM", "x", Extern::from(second->global(0))));
    linker.remove_module("M");
    EXPECT_FALSE(linker.resolve("M", "only_here").has_value());
    EXPECT_TRUE(linker.resolve("MM", "x").has_value());
}

TEST_F(LinkingTest, HostObjects)
{
    Limits limits;
    limits.min = 1;
    Memory* memory = MUST(store->create_memory(limits));
    MUST(linker.define("host", "m", Extern::from(memory)));
    Global* global = MUST(store->create_global(ValType::f64(), true, VMVal::from_f64_bits(0)));
    MUST(linker.define("host", "g", Extern::from(global)));
    EXPECT_TRUE(links(R"((import "host" "m" (memory 1)) (import "host" "g" (global (mut f64))))"));
    // Redefinition replaces.
    Global* other = MUST(store->create_global(ValType::i32(), false, VMVal::from_i32(1)));
    MUST(linker.define("host", "g", Extern::from(other)));
    EXPECT_TRUE(links(R"((import "host" "g" (global i32)))"));
    // Names are compared as bytes: a NUL inside a name does not alias.
    MUST(linker.define(StringView("a\0b", 3), "c", Extern::from(other)));
    EXPECT_FALSE(linker.resolve("a", StringView("\0bc", 3)).has_value());
    EXPECT_TRUE(linker.resolve(StringView("a\0b", 3), "c").has_value());
    // Host references are stable boxes.
    void* ref = MUST(store->host_ref(7));
    EXPECT_EQ(MUST(store->host_ref(7)), ref);
    EXPECT_NE(MUST(store->host_ref(8)), ref);
    EXPECT_EQ(Store::host_ref_payload(ref), 7u);
    EXPECT_TRUE(store->is_host_ref(ref));
    EXPECT_FALSE(store->is_host_ref(global));
}

} // namespace wk::engine::runtime
