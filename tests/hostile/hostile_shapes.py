#!/usr/bin/env python3
"""Pathological function shapes for the optimising tier (docs/optimizing-compiler.md,
"Hostile input"): writes one .wasm per shape and, with --measure, compiles each with
`wasmkern run --tier optimized --log-fallbacks` under /usr/bin/time, printing a table of
compile time, peak memory and fallback reasons. Not a test (nothing here is timed by
ctest); a tool for finding passes whose work grows faster than the module.

Each module exports `_start` (returning at once) and the function `f` of the shape,
which is compiled but never run."""

import argparse
import os
import re
import subprocess
import sys
import time


def uleb(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if (n == 0 and not byte & 0x40) or (n == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


I32 = 0x7F
BLOCK, LOOP, IF, ELSE, END, BR, BR_IF, BR_TABLE, RETURN, CALL = 0x02, 0x03, 0x04, 0x05, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10
DROP = 0x1A
LOCAL_GET, LOCAL_SET, LOCAL_TEE = 0x20, 0x21, 0x22
I32_CONST, I32_EQZ, I32_EQ, I32_LT_U, I32_ADD, I32_MUL, I32_XOR = 0x41, 0x45, 0x46, 0x49, 0x6A, 0x6C, 0x73
VOID = 0x40


def vec(items):
    return uleb(len(items)) + b"".join(items)


def section(ident, payload):
    return bytes([ident]) + uleb(len(payload)) + payload


def functype(params, results):
    return b"\x60" + vec([bytes([t]) for t in params]) + vec([bytes([t]) for t in results])


class Module:
    """Types, functions (type index, locals count, body bytes) and exports."""

    def __init__(self):
        self.types = []
        self.funcs = []
        self.exports = []

    def type(self, params, results):
        encoded = functype(params, results)
        if encoded not in self.types:
            self.types.append(encoded)
        return self.types.index(encoded)

    def func(self, params, results, body, locals_=0, export=None):
        index = len(self.funcs)
        self.funcs.append((self.type(params, results), locals_, bytes(body)))
        if export:
            self.exports.append((export, index))
        return index

    def encode(self):
        out = b"\0asm\1\0\0\0"
        out += section(1, vec(self.types))
        out += section(3, vec([uleb(t) for t, _, _ in self.funcs]))
        out += section(7, vec([uleb(len(name)) + name.encode() + b"\0" + uleb(i) for name, i in self.exports]))
        bodies = []
        for _, count, body in self.funcs:
            local_decls = vec([uleb(count) + bytes([I32])]) if count else vec([])
            code = local_decls + body + bytes([END])
            bodies.append(uleb(len(code)) + code)
        out += section(10, vec(bodies))
        return out


def new_module():
    module = Module()
    module.func([], [], b"", export="_start")
    return module


def get(k):
    return bytes([LOCAL_GET]) + uleb(k)


def set_(k):
    return bytes([LOCAL_SET]) + uleb(k)


def const(v):
    return bytes([I32_CONST]) + sleb(v)


def nested_loops(depth, live=4, folded=False):
    """`depth` loops nested; `live` locals changed in the innermost one, each loop's
    back edge taken on a condition: every header has `live` parameters whose back-edge
    argument is the inner header's parameter. `folded`: the change is under
    `if (i32.const 0)`, so the parameters become trivial only once folding removed
    the branch, innermost first (the simplify pass's worst case)."""
    body = bytearray()
    body += bytes([LOOP, VOID]) * depth
    for k in range(live):
        if folded:
            body += const(0) + bytes([IF, VOID]) + const(k) + set_(1 + k) + bytes([END])
        else:
            body += get(1 + k) + get(0) + bytes([I32_ADD]) + set_(1 + k)
    for level in range(depth):
        body += get(1 + level % live) + bytes([BR_IF]) + uleb(0) + bytes([END])
    body += get(1)
    module = new_module()
    module.func([I32], [I32], body, locals_=live, export="f")
    return module


def nested_blocks(depth):
    body = bytearray()
    body += bytes([BLOCK, VOID]) * depth
    for level in range(depth):
        body += get(1) + get(0) + bytes([I32_ADD]) + set_(1)
        body += get(0) + bytes([BR_IF]) + uleb(min(level % 7, depth - level - 1)) + bytes([END])
    body += get(1)
    module = new_module()
    module.func([I32], [I32], body, locals_=1, export="f")
    return module


def nested_ifs(depth):
    body = bytearray()
    for level in range(depth):
        body += get(0) + const(level) + bytes([I32_LT_U, IF, VOID])
        body += get(1) + const(1) + bytes([I32_ADD]) + set_(1)
    body += bytes([END]) * depth
    body += get(1)
    module = new_module()
    module.func([I32], [I32], body, locals_=1, export="f")
    return module


def br_if_chain(length, live=8):
    """One block left by `length` br_ifs, each after changing one of `live` locals: the
    exit block has `live` parameters and `length` predecessors."""
    body = bytearray([BLOCK, VOID])
    for k in range(length):
        body += get(1 + k % live) + const(k) + bytes([I32_ADD]) + set_(1 + k % live)
        body += get(0) + const(k) + bytes([I32_EQ, BR_IF]) + uleb(0)
    body += bytes([END])
    for k in range(live):
        body += get(1 + k) + (bytes([I32_ADD]) if k else b"")
    module = new_module()
    module.func([I32], [I32], body, locals_=live, export="f")
    return module


def huge_br_table(targets):
    """`targets` nested blocks and one br_table to every depth, each block's end then
    changing a local: wide merges of every block with many predecessors."""
    body = bytearray()
    body += bytes([BLOCK, VOID]) * targets
    body += get(0) + bytes([BR_TABLE]) + uleb(targets) + b"".join(uleb(k) for k in range(targets)) + uleb(0)
    for level in range(targets):
        body += bytes([END]) + get(1) + const(level) + bytes([I32_XOR]) + set_(1)
    body += get(1)
    module = new_module()
    module.func([I32], [I32], body, locals_=1, export="f")
    return module


def summing_locals(body, locals_):
    """The module of `f(i32) -> i32` whose body is `body` followed by the sum of its
    `locals_` i32 locals, so every local is read at the end."""
    body += const(0)
    for k in range(locals_):
        body += get(1 + k) + bytes([I32_ADD])
    module = new_module()
    module.func([I32], [I32], body, locals_=locals_, export="f")
    return module


def many_locals_loops(locals_, loops):
    """`locals_` locals, all live across `loops` sequential loops (each loop touches a
    few), all summed at the end."""
    body = bytearray()
    for loop in range(loops):
        body += bytes([LOOP, VOID])
        for k in range(4):
            slot = 1 + (loop * 4 + k) % locals_
            body += get(slot) + get(0) + bytes([I32_ADD]) + set_(slot)
        body += get(1 + loop % locals_) + bytes([BR_IF]) + uleb(0) + bytes([END])
    return summing_locals(body, locals_)


def many_locals_blocks(locals_, blocks):
    """`locals_` locals, all live across `blocks` sequential blocks, each left early by a
    br_if and changing a few: every block's end is a merge of two edges, and each local
    read at the end was defined before all of them (SSA by lookups through the
    predecessors visits every merge for every local: locals x blocks)."""
    body = bytearray()
    for block in range(blocks):
        body += bytes([BLOCK, VOID]) + get(0) + bytes([BR_IF]) + uleb(0)
        for k in range(4):
            slot = 1 + (block * 4 + k) % locals_
            body += get(slot) + get(0) + bytes([I32_ADD]) + set_(slot)
        body += bytes([END])
    return summing_locals(body, locals_)


def many_locals_ifs(locals_, ifs):
    """`locals_` locals read after `ifs` sequential if/else, each arm changing a few."""
    body = bytearray()
    for n in range(ifs):
        body += get(0) + const(n) + bytes([I32_LT_U, IF, VOID])
        body += get(1 + (2 * n) % locals_) + const(1) + bytes([I32_ADD]) + set_(1 + (2 * n) % locals_)
        body += bytes([ELSE])
        body += get(1 + (2 * n + 1) % locals_) + const(2) + bytes([I32_ADD]) + set_(1 + (2 * n + 1) % locals_)
        body += bytes([END])
    return summing_locals(body, locals_)


def locals_in_nested_loops(locals_, depth):
    """`depth` nested loops whose innermost changes all of `locals_` locals: every header
    needs a parameter per local (locals x depth, inherent in the SSA form)."""
    body = bytearray()
    body += bytes([LOOP, VOID]) * depth
    for k in range(locals_):
        body += get(1 + k) + get(0) + bytes([I32_ADD]) + set_(1 + k)
    for level in range(depth):
        body += get(1 + level % locals_) + bytes([BR_IF]) + uleb(0) + bytes([END])
    return summing_locals(body, locals_)


def multi_value_blocks(values, depth):
    """`depth` nested blocks each taking and returning `values` i32s (multi-value block
    parameters), the innermost leaving early on a condition."""
    module = new_module()
    block_type = module.type([I32] * values, [I32] * values)
    body = bytearray()
    for k in range(values):
        body += get(0) + const(k) + bytes([I32_ADD])
    for _ in range(depth):
        body += bytes([BLOCK]) + sleb(block_type)
    body += get(0) + bytes([BR_IF]) + uleb(depth // 2)
    body += bytes([END]) * depth
    for _ in range(values - 1):
        body += bytes([I32_ADD])
    module.func([I32], [I32], body, export="f")
    return module


def many_calls(calls):
    """Straight-line code of `calls` calls, each taking the last result and a local."""
    module = new_module()
    callee = module.func([I32, I32], [I32], get(0) + get(1) + bytes([I32_MUL]))
    body = bytearray(get(0))
    for k in range(calls):
        body += get(0) + bytes([CALL]) + uleb(callee)
    module.func([I32], [I32], body, export="f")
    return module


def wide_phis(preds, live):
    """A switch of `preds` cases each changing all `live` locals, meeting in one block:
    `live` parameters of `preds` arguments each."""
    body = bytearray([BLOCK, VOID])
    body += bytes([BLOCK, VOID]) * preds
    body += get(0) + bytes([BR_TABLE]) + uleb(preds - 1) + b"".join(uleb(k) for k in range(preds - 1)) + uleb(preds - 1)
    for case in range(preds):
        body += bytes([END])
        for k in range(live):
            body += const(case * live + k) + set_(1 + k)
        body += bytes([BR]) + uleb(preds - 1 - case)
    body += bytes([END])
    for k in range(live):
        body += get(1 + k) + (bytes([I32_ADD]) if k else b"")
    module = new_module()
    module.func([I32], [I32], body, locals_=live, export="f")
    return module


def inline_in_deep_loops(callees, depth):
    """`callees` small functions, all called in the innermost of `depth` nested loops."""
    module = new_module()
    first = len(module.funcs)
    for k in range(callees):
        module.func([I32], [I32], get(0) + const(k + 1) + bytes([I32_ADD]))
    body = bytearray()
    body += bytes([LOOP, VOID]) * depth
    for k in range(callees):
        body += get(1) + bytes([CALL]) + uleb(first + k) + set_(1)
    for level in range(depth):
        body += get(1) + get(0) + bytes([I32_LT_U, BR_IF]) + uleb(0) + bytes([END])
    body += get(1)
    module.func([I32], [I32], body, locals_=1, export="f")
    return module


SHAPES = {
    "nested_loops_1000": lambda: nested_loops(1000),
    "nested_loops_3000": lambda: nested_loops(3000),
    "nested_loops_5000": lambda: nested_loops(5000),
    "nested_loops_1000_x40": lambda: nested_loops(1000, live=40),
    "folded_loops_1000": lambda: nested_loops(1000, folded=True),
    "folded_loops_3000": lambda: nested_loops(3000, folded=True),
    "folded_loops_1000_x40": lambda: nested_loops(1000, live=40, folded=True),
    "nested_blocks_5000": lambda: nested_blocks(5000),
    "nested_ifs_5000": lambda: nested_ifs(5000),
    "br_if_chain_20000": lambda: br_if_chain(20000),
    "br_table_5000": lambda: huge_br_table(5000),
    "many_locals_50000_loops_200": lambda: many_locals_loops(50000, 200),
    "many_locals_5000_blocks_1000": lambda: many_locals_blocks(5000, 1000),
    "many_locals_20000_blocks_5000": lambda: many_locals_blocks(20000, 5000),
    "many_locals_5000_ifs_2000": lambda: many_locals_ifs(5000, 2000),
    "locals_2000_in_loops_500": lambda: locals_in_nested_loops(2000, 500),
    "multi_value_500x200": lambda: multi_value_blocks(500, 200),
    "many_calls_20000": lambda: many_calls(20000),
    "wide_phis_2000x50": lambda: wide_phis(2000, 50),
    "inline_200_in_loops_500": lambda: inline_in_deep_loops(200, 500),
}


def measure(wasmkern, path, timeout):
    command = ["/usr/bin/time", "-v", wasmkern, "run", "--tier", "optimized", "--log-fallbacks", path]
    start = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None, f"over {timeout} s"
    elapsed = (time.monotonic() - start) * 1e3
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    reasons = sorted(set(re.findall(r"falls back to the baseline: ([^(\n]*)", done.stderr)))
    status = "exit %d" % done.returncode if done.returncode else ""
    return elapsed, int(peak.group(1)) / 1024 if peak else None, "; ".join(reasons + ([status] if status else []))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="directory for the .wasm files")
    parser.add_argument("--measure", metavar="WASMKERN", help="compile each with this wasmkern and print a table")
    parser.add_argument("--only", help="regular expression: the shapes to write")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per compile (default 300)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for name, make in SHAPES.items():
        if args.only and not re.search(args.only, name):
            continue
        path = os.path.join(args.out, name + ".wasm")
        data = make().encode()
        with open(path, "wb") as file:
            file.write(data)
        if args.measure:
            ms, mb, note = measure(args.measure, path, args.timeout)
            rows.append((name, len(data), ms, mb, note))
            print("%-30s %9d B %10s ms %8s MB  %s" % (name, len(data), "-" if ms is None else "%.0f" % ms,
                                                   "-" if mb is None else "%.1f" % mb, note), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
