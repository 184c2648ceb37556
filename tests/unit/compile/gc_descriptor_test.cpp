// Custom descriptors (docs/gc.md) in compiled code: struct.new_desc stores the descriptor,
// ref.get_desc reads it back, ref.cast_desc_eq and br_on_cast_desc_eq compare it; null
// descriptors and failed casts are the spec's traps; the collector keeps a descriptor
// reached only through a struct alive. Hostile modules (out-of-range type indices, a
// descriptor of the wrong type) are clean validation errors.
#include <gtest/gtest.h>

#include "engine/runtime/gc_heap.h"
#include "engine/runtime/store.h"
#include "engine/text/wat.h"
#include "tests/unit/compile/session.h"

using namespace wk;
using namespace wk::engine;
using runtime::VMVal;

namespace {

// $obj is described by $desc; $plain has no descriptor. new(v) makes an $obj with a
// fresh descriptor holding v and keeps it in $kept; get() reads that descriptor's
// field; same(d) casts $kept with the descriptor in $d0 (1 passes, traps otherwise).
const char* const kModule = R"(
(module
  (rec
    (type $obj (descriptor $desc) (struct (field i32)))
    (type $desc (describes $obj) (struct (field i32))))
  (type $plain (struct (field i32)))
  (global $kept (mut (ref null $obj)) (ref.null none))
  (global $d0 (mut (ref null (exact $desc))) (ref.null none))
  (global $const (ref (exact $obj)) (struct.new_desc $obj (i32.const 5) (struct.new $desc (i32.const 6))))
  (func (export "new") (param $v i32)
    (global.set $d0 (struct.new $desc (local.get $v)))
    (global.set $kept (struct.new_desc $obj (i32.const 1) (global.get $d0))))
  (func (export "new_default") (param $v i32)
    (global.set $kept (struct.new_default_desc $obj (struct.new $desc (local.get $v)))))
  (func (export "get") (result i32) (struct.get $desc 0 (ref.get_desc $obj (global.get $kept))))
  (func (export "get_const") (result i32) (struct.get $desc 0 (ref.get_desc $obj (global.get $const))))
  (func (export "forget_d0") (global.set $d0 (ref.null none)))
  (func (export "drop_all") (global.set $kept (ref.null none)) (global.set $d0 (ref.null none)))
  (func (export "cast_kept") (result i32)
    (drop (ref.cast_desc_eq (ref $obj) (global.get $kept) (global.get $d0))) (i32.const 1))
  (func (export "cast_other") (result i32)
    (drop (ref.cast_desc_eq (ref $obj) (global.get $kept) (struct.new $desc (i32.const 0)))) (i32.const 1))
  (func (export "cast_plain") (result i32)
    (drop (ref.cast_desc_eq (ref $obj) (struct.new $plain (i32.const 0)) (global.get $d0))) (i32.const 1))
  (func (export "cast_i31") (result i32)
    (drop (ref.cast_desc_eq (ref $obj) (ref.i31 (i32.const 3)) (global.get $d0))) (i32.const 1))
  (func (export "cast_null_desc") (result i32)
    (drop (ref.cast_desc_eq (ref null $obj) (global.get $kept) (ref.null none))) (i32.const 1))
  (func (export "br_kept") (param $any anyref) (result i32)
    (block $yes (result (ref $obj))
      (drop (br_on_cast_desc_eq $yes anyref (ref $obj) (local.get $any) (global.get $d0)))
      (return (i32.const 0)))
    (drop) (i32.const 1))
  (func (export "br_fail_kept") (param $any anyref) (result i32)
    (block $no (result anyref)
      (drop (br_on_cast_desc_eq_fail $no anyref (ref $obj) (local.get $any) (global.get $d0)))
      (return (i32.const 1)))
    (drop) (i32.const 0))
  (func (export "kept") (result anyref) (global.get $kept))
  (func (export "new_null") (drop (struct.new_desc $obj (i32.const 1) (ref.null none))))
  (func (export "get_null") (result i32) (struct.get $desc 0 (ref.get_desc $obj (ref.null none)))))
)";

TrapKind trap_of(test_session::Session& session, const char* name, std::initializer_list<VMVal> args = {})
{
    auto outcome = test_session::call(session, name, args);
    return outcome.trap ? outcome.trap->kind : TrapKind::None;
}

// Validates a module written in WAT; returns the validator's message, "" when valid.
std::string validation_error(const char* wat)
{
    auto bytes = text::wat_to_wasm(wat);
    if (bytes.is_error())
        return std::string("text: ") + bytes.error().message();
    auto module = decode_module(ReadonlyBytes(bytes.value().data(), bytes.value().size()));
    if (module.is_error())
        return std::string("decode: ") + module.error().message();
    auto valid = validate_module(module.value());
    return valid.is_error() ? valid.error().message() : "";
}

} // namespace

TEST(GcDescriptorTest, NewGetAndCast)
{
    auto session = test_session::instantiate(kModule);
    ASSERT_TRUE(session);
    test_session::call(*session, "new", { VMVal::from_u32(42) });
    EXPECT_EQ(test_session::call_i64(*session, "get", {}) & 0xFFFF'FFFF, 42);
    EXPECT_EQ(test_session::call_i64(*session, "get_const", {}) & 0xFFFF'FFFF, 6);
    EXPECT_EQ(test_session::call_i64(*session, "cast_kept", {}), 1);
    EXPECT_EQ(trap_of(*session, "cast_other"), TrapKind::DescriptorCastFailure);
    EXPECT_EQ(trap_of(*session, "cast_plain"), TrapKind::DescriptorCastFailure);
    EXPECT_EQ(trap_of(*session, "cast_i31"), TrapKind::DescriptorCastFailure);

    auto kept = test_session::call(*session, "kept", {});
    ASSERT_EQ(kept.results.size(), 1u);
    EXPECT_EQ(test_session::call_i64(*session, "br_kept", { kept.results[0] }), 1);
    EXPECT_EQ(test_session::call_i64(*session, "br_fail_kept", { kept.results[0] }), 1);
    EXPECT_EQ(test_session::call_i64(*session, "br_kept", { VMVal::from_ref(nullptr) }), 0);
    EXPECT_EQ(test_session::call_i64(*session, "br_fail_kept", { VMVal::from_ref(nullptr) }), 0);

    test_session::call(*session, "new_default", { VMVal::from_u32(7) });
    EXPECT_EQ(test_session::call_i64(*session, "get", {}) & 0xFFFF'FFFF, 7);
    // $kept's descriptor is no longer the one in $d0.
    EXPECT_EQ(trap_of(*session, "cast_kept"), TrapKind::DescriptorCastFailure);
}

TEST(GcDescriptorTest, NullDescriptorsTrap)
{
    auto session = test_session::instantiate(kModule);
    ASSERT_TRUE(session);
    EXPECT_EQ(trap_of(*session, "new_null"), TrapKind::NullDescriptorReference);
    EXPECT_EQ(trap_of(*session, "get_null"), TrapKind::NullReference);
    // The null descriptor is checked before the operand, even a null one.
    EXPECT_EQ(trap_of(*session, "cast_null_desc"), TrapKind::NullDescriptorReference);
    test_session::call(*session, "new", { VMVal::from_u32(1) });
    EXPECT_EQ(trap_of(*session, "cast_null_desc"), TrapKind::NullDescriptorReference);
    EXPECT_EQ(trap_of(*session, "br_kept", { VMVal::from_ref(nullptr) }), TrapKind::None);
}

TEST(GcDescriptorTest, ANullDescriptorInAConstantExpressionFailsInstantiation)
{
    auto bytes = text::wat_to_wasm(R"(
(module
  (rec
    (type $a (descriptor $b) (struct))
    (type $b (describes $a) (struct)))
  (global (ref null (exact $b)) (ref.null none))
  (global (ref (exact $a)) (struct.new_default_desc $a (global.get 0))))
)");
    ASSERT_FALSE(bytes.is_error());
    auto compiled = compile::load_and_compile(bytes.release_value());
    ASSERT_FALSE(compiled.is_error()) << compiled.error().message();
    auto store = runtime::Store::create();
    ASSERT_FALSE(store.is_error());
    runtime::Linker linker;
    auto instance = store.value()->instantiate(*compiled.value().module, linker);
    ASSERT_TRUE(instance.is_error());
    EXPECT_STREQ(instance.error().message(), "null descriptor reference");
    EXPECT_EQ(instance.error().kind(), ErrorKind::OutOfRange);
}

TEST(GcDescriptorTest, TheDescriptorWordIsTraced)
{
    auto session = test_session::instantiate(kModule);
    ASSERT_TRUE(session);
    test_session::call(*session, "new", { VMVal::from_u32(99) });
    test_session::call(*session, "forget_d0", {});
    runtime::GcHeap& heap = session->store->gc_heap();
    // The constant global's pair, and $kept with the descriptor only it reaches.
    EXPECT_EQ(heap.object_count(), 4u);
    ASSERT_TRUE(session->store->collect_garbage());
    EXPECT_EQ(heap.object_count(), 4u);
    EXPECT_EQ(test_session::call_i64(*session, "get", {}) & 0xFFFF'FFFF, 99);
    test_session::call(*session, "drop_all", {});
    ASSERT_TRUE(session->store->collect_garbage());
    EXPECT_EQ(heap.object_count(), 2u);
    EXPECT_EQ(test_session::call_i64(*session, "get_const", {}) & 0xFFFF'FFFF, 6);
}

TEST(GcDescriptorTest, HostileModulesAreValidationErrors)
{
    // Type indices out of range.
    EXPECT_EQ(validation_error("(module (func (drop (struct.new_default_desc 9 (unreachable)))))"), "unknown type");
    EXPECT_EQ(validation_error("(module (func (result anyref) (ref.get_desc 1000000 (unreachable))))"), "unknown type");
    EXPECT_EQ(validation_error("(module (func (param anyref) (result anyref) "
                               "(ref.cast_desc_eq (ref 77) (local.get 0) (unreachable))))"),
              "unknown type");
    // A descriptor of the wrong type ($d differs from $b by a field; an identical rec
    // group would make them the same type).
    const char* wrong_descriptor = R"(
(module
  (rec
    (type $a (descriptor $b) (struct))
    (type $b (describes $a) (struct)))
  (rec
    (type $c (descriptor $d) (struct))
    (type $d (describes $c) (struct (field i32))))
  (func (result anyref) (struct.new_default_desc $a (struct.new_default $d))))
)";
    EXPECT_EQ(validation_error(wrong_descriptor), "type mismatch");
    const char* wrong_cast = R"(
(module
  (rec
    (type $a (descriptor $b) (struct))
    (type $b (describes $a) (struct)))
  (type $e (struct))
  (func (param anyref) (result anyref) (ref.cast_desc_eq (ref $a) (local.get 0) (struct.new $e))))
)";
    EXPECT_EQ(validation_error(wrong_cast), "type mismatch");
    // Allocation without the descriptor a type needs, and with one it does not have.
    const char* no_descriptor = R"(
(module
  (rec
    (type $a (descriptor $b) (struct))
    (type $b (describes $a) (struct)))
  (func (result anyref) (struct.new $a)))
)";
    EXPECT_EQ(validation_error(no_descriptor), "type with descriptor requires descriptor allocation");
    EXPECT_EQ(validation_error("(module (type $e (struct)) (func (result anyref) (struct.new_default_desc $e (ref.null none))))"),
              "type without descriptor requires non-descriptor allocation");
    // ref.get_desc of an array type index and of a function type index.
    EXPECT_EQ(validation_error("(module (type $f (func)) (func (param (ref $f)) (result anyref) (ref.get_desc $f (local.get 0))))"),
              "type without descriptor");
}
