#include "engine/spec/values.h"

#include "base/format.h"

namespace wk::engine::spec {

using text::NanPattern;
using text::ResultPattern;
using text::V128Shape;
using Kind = ResultPattern::Kind;

Result<runtime::VMVal> to_vmval(runtime::Store& store, text::Value const& value)
{
    using runtime::VMVal;
    switch (value.kind) {
    case text::ValueKind::I32:
    case text::ValueKind::F32: return VMVal::from_u32(static_cast<u32>(value.bits));
    case text::ValueKind::I64:
    case text::ValueKind::F64: return VMVal::from_u64(value.bits);
    case text::ValueKind::V128: return VMVal::from_v128(value.v128);
    case text::ValueKind::RefNull: return VMVal::from_ref(nullptr);
    case text::ValueKind::RefExtern:
    case text::ValueKind::RefHost: return VMVal::from_ref(TRY(store.host_ref(value.bits)));
    case text::ValueKind::RefFunc: break;
    }
    return Error::from("argument kind not supported", ErrorKind::Unsupported);
}

namespace {

struct FloatLayout {
    u64 exponent;
    u64 mantissa;
    u64 quiet;
};
constexpr FloatLayout kF32 { 0x7F80'0000, 0x007F'FFFF, 0x0040'0000 };
constexpr FloatLayout kF64 { 0x7FF0'0000'0000'0000, 0x000F'FFFF'FFFF'FFFF, 0x0008'0000'0000'0000 };

bool float_matches(u64 bits, NanPattern nan, u64 expected, FloatLayout const& layout)
{
    switch (nan) {
    case NanPattern::Canonical: return (bits & (layout.exponent | layout.mantissa)) == (layout.exponent | layout.quiet);
    case NanPattern::Arithmetic: return (bits & layout.exponent) == layout.exponent && (bits & layout.quiet) != 0;
    case NanPattern::None: return bits == expected;
    }
    return false;
}

struct Shape {
    u32 lanes;
    u32 width; // bytes
    bool is_float;
};

Shape shape_of(V128Shape shape)
{
    switch (shape) {
    case V128Shape::I8x16: return { 16, 1, false };
    case V128Shape::I16x8: return { 8, 2, false };
    case V128Shape::I32x4: return { 4, 4, false };
    case V128Shape::I64x2: return { 2, 8, false };
    case V128Shape::F32x4: return { 4, 4, true };
    case V128Shape::F64x2: return { 2, 8, true };
    }
    return { 4, 4, false };
}

u64 lane_bits(runtime::VMVal const& value, Shape shape, u32 lane)
{
    u64 bits = 0;
    __builtin_memcpy(&bits, value.bytes + lane * shape.width, shape.width);
    return bits;
}

u64 lane_mask(Shape shape) { return shape.width == 8 ? ~u64 { 0 } : (u64 { 1 } << (8 * shape.width)) - 1; }

bool v128_matches(runtime::VMVal const& value, ResultPattern const& pattern)
{
    Shape shape = shape_of(pattern.shape);
    for (u32 lane = 0; lane < shape.lanes; ++lane) {
        u64 bits = lane_bits(value, shape, lane);
        text::LanePattern const& expected = pattern.lanes[lane];
        bool ok = shape.is_float ? float_matches(bits, expected.nan, expected.bits, shape.width == 8 ? kF64 : kF32)
                                 : bits == (expected.bits & lane_mask(shape));
        if (!ok)
            return false;
    }
    return true;
}

// A result of the any hierarchy (docs/gc.md: null, i31, a GC object, or a host value
// converted with any.convert_extern) against (ref.struct), (ref.array), (ref.i31),
// (ref.eq) or (ref.any).
bool gc_matches(runtime::Store const& store, uptr ref, Kind kind)
{
    if (!ref)
        return false;
    bool i31 = runtime::is_i31_ref(ref);
    bool object = !i31 && !store.is_host_ref(reinterpret_cast<const void*>(ref)) && runtime::GcHeap::is_object(ref);
    switch (kind) {
    case Kind::RefAny: return true;
    case Kind::RefI31: return i31;
    case Kind::RefEq: return i31 || object;
    case Kind::RefStruct:
    case Kind::RefArray: {
        if (!object)
            return false;
        auto type_id = reinterpret_cast<const runtime::GcHeader*>(ref)->type_id;
        auto composite = store.types().type(type_id).kind;
        return composite == (kind == Kind::RefStruct ? CompositeKind::Struct : CompositeKind::Array);
    }
    default: return false;
    }
}

} // namespace

Match matches(runtime::Store const& store, runtime::VMVal const& value, ResultPattern const& pattern)
{
    auto yes = [](bool b) { return b ? Match::Yes : Match::No; };
    switch (pattern.kind) {
    case Kind::I32: return yes(value.u32_value() == static_cast<u32>(pattern.bits));
    case Kind::I64: return yes(value.u64_value() == pattern.bits);
    case Kind::F32: return yes(float_matches(value.u32_value(), pattern.nan, pattern.bits, kF32));
    case Kind::F64: return yes(float_matches(value.u64_value(), pattern.nan, pattern.bits, kF64));
    case Kind::V128: return yes(v128_matches(value, pattern));
    case Kind::RefNull: return yes(value.ref() == nullptr);
    case Kind::RefFunc: return yes(value.ref() != nullptr && !store.is_host_ref(value.ref()));
    case Kind::RefExtern:
        // (ref.extern) without a payload: any non-null externref, also an externalized
        // GC reference.
        if (!pattern.has_payload)
            return yes(value.ref() != nullptr);
        [[fallthrough]];
    case Kind::RefHost:
        if (!value.ref() || !store.is_host_ref(value.ref()))
            return Match::No;
        return yes(!pattern.has_payload || runtime::Store::host_ref_payload(value.ref()) == pattern.bits);
    case Kind::RefStruct:
    case Kind::RefArray:
    case Kind::RefI31:
    case Kind::RefEq:
    case Kind::RefAny: return yes(gc_matches(store, value.u64_value(), pattern.kind));
    case Kind::RefExn: return yes(value.ref() != nullptr && !store.is_host_ref(value.ref()));
    case Kind::Either: {
        Match verdict = Match::No;
        for (ResultPattern const& alternative : pattern.alternatives) {
            Match m = matches(store, value, alternative);
            if (m == Match::Yes)
                return m;
            if (m != Match::No)
                verdict = m;
        }
        return verdict;
    }
    }
    return Match::No;
}

void write_value(FormatSink& sink, runtime::VMVal const& value, ResultPattern const& pattern)
{
    switch (pattern.kind) {
    case Kind::I32: format_to(sink, "i32:{:#x}", value.u32_value()); return;
    case Kind::F32: format_to(sink, "f32:{:#x}", value.u32_value()); return;
    case Kind::I64: format_to(sink, "i64:{:#x}", value.u64_value()); return;
    case Kind::F64: format_to(sink, "f64:{:#x}", value.u64_value()); return;
    case Kind::V128: {
        Shape shape = shape_of(pattern.shape);
        sink.write("v128:");
        for (u32 lane = 0; lane < shape.lanes; ++lane)
            format_to(sink, "{}{:#x}", lane ? " " : "", lane_bits(value, shape, lane));
        return;
    }
    case Kind::Either:
        if (!pattern.alternatives.is_empty())
            return write_value(sink, value, pattern.alternatives[0]);
        break;
    default: break;
    }
    if (!value.ref())
        sink.write("ref.null");
    else
        format_to(sink, "ref:{:#x}", reinterpret_cast<uptr>(value.ref()));
}

} // namespace wk::engine::spec
