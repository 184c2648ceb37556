#!/usr/bin/env python3
"""Differential fuzzing of Wasmkern against V8 (node). See docs/difffuzz.md.

Seed s gives random bytes (Python's Mersenne Twister seeded with s), binaryen's
`wasm-opt -ttf` turns them into a valid module, and difffuzz_run (Wasmkern) and
run.mjs (node) each print a transcript of calling every export. The transcripts must
be equal, except for lines starting with '#'. A mismatching module is kept under
WORK_DIR/failures/ with both transcripts. --tier picks the compiler tier Wasmkern uses.

With --replay FILE.wat (a regression case under tests/regress/), only Wasmkern runs and
its transcript must equal FILE.expected, the transcript V8 printed for the case.

Exit status: 0 without mismatches, 1 with, 77 when wasm-opt or node is missing.
"""

import argparse
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = 77

# What both engines run: no GC, exceptions, threads, memory64 or relaxed SIMD, and
# nothing node 20 ships only behind a flag (extended-const). Not reference-types either:
# binaryen 108 implements a draft (anyref above funcref, non-null "(ref func)" coded
# 0x6b) that both engines reject in most modules. --denan makes every scalar float value
# a non-NaN, so reinterpretations and logs are deterministic.
WASM_OPT_FLAGS = [
    "--enable-sign-ext", "--enable-mutable-globals", "--enable-nontrapping-float-to-int",
    "--enable-simd", "--enable-bulk-memory", "--enable-multivalue", "--enable-tail-call",
    "--denan",
]
INPUT_SIZES = (256, 16384)
# Each seed also picks optimisations to run on the generated module (before --denan),
# so the compiler meets code shapes that binaryen's optimiser produces.
OPTIMIZATIONS = [[], [], ["-O1"], ["-O2"], ["-O3"], ["-Os"], ["-O4"], ["--fuzz-passes"]]


def input_and_flags(seed, max_input=INPUT_SIZES[1]):
    """The random input bytes and the wasm-opt flags of `seed`."""
    rng = random.Random(seed)
    data = rng.randbytes(rng.randint(INPUT_SIZES[0], max_input))
    flags = rng.choice(OPTIMIZATIONS) + WASM_OPT_FLAGS
    if rng.random() < 0.25:
        flags.append("--no-fuzz-oob")
    return data, flags


def raise_hang_limit(module, hang_limit):
    """Rewrites the budget that hangLimitInitializer sets (binaryen 108: 10 loop
    iterations or calls per export) through binaryen's text format; False on failure."""
    text = subprocess.run(["wasm-dis", str(module)], capture_output=True, text=True).stdout
    initializer = re.search(r'\(export "hangLimitInitializer" \(func (\$\d+)\)\)', text)
    if not initializer:
        return True
    start = text.find(f"\n (func {initializer.group(1)}\n")
    end = text.find("\n (func ", start + 1)
    if start < 0:
        return False
    end = len(text) if end < 0 else end
    body, count = re.subn(r"(\(global\.set \$[^\n]*\n\s*\(i32\.const )10\)", rf"\g<1>{hang_limit})",
                          text[start:end], count=1)
    if count != 1:
        return False
    text = text[:start] + body + text[end:]
    source = module.with_suffix(".wat")
    source.write_text(text)
    done = subprocess.run(["wasm-as", *[f for f in WASM_OPT_FLAGS if f.startswith("--enable")], str(source),
                           "-o", str(module)], capture_output=True)
    source.unlink()
    return done.returncode == 0


def generate(seed, work, max_input=INPUT_SIZES[1], hang_limit=None):
    """Writes seed's module; returns its path, or None when wasm-opt fails."""
    source = work / f"{seed}.bin"
    module = work / f"{seed}.wasm"
    data, flags = input_and_flags(seed, max_input)
    source.write_bytes(data)
    done = subprocess.run(["wasm-opt", "-ttf", str(source), *flags, "-o", str(module)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    source.unlink()
    if done.returncode != 0:
        print(f"seed {seed}: wasm-opt failed: {done.stderr.strip()[:200]}", flush=True)
        return None
    if hang_limit is not None and not raise_hang_limit(module, hang_limit):
        print(f"seed {seed}: could not raise the hang limit", flush=True)
        return None
    return module


def split_transcripts(text):
    """{module file name: [lines]} from a runner's output, '#' lines dropped."""
    transcripts = {}
    current = None
    for line in text.splitlines():
        if line.startswith("module "):
            current = transcripts.setdefault(line[len("module "):], [])
        elif current is not None and not line.startswith("#"):
            current.append(line)
    return transcripts


def run_engine(command, modules, timeout):
    """Transcripts of `command` over `modules`. A module whose transcript is missing
    (the runner crashed or hung) is run alone, and reads "crash" if it fails again."""
    def attempt(paths, seconds):
        try:
            done = subprocess.run([*command, *map(str, paths)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, timeout=seconds)
            return split_transcripts(done.stdout), done.returncode
        except subprocess.TimeoutExpired as timed_out:
            output = timed_out.stdout or b""
            if isinstance(output, bytes):
                output = output.decode(errors="replace")
            return split_transcripts(output), "timeout"

    transcripts, status = attempt(modules, timeout)
    if status == 0 and len(transcripts) == len(modules):
        return transcripts
    for module in modules:
        # The last transcript may be cut short by the crash: run it again.
        if module.name in transcripts and module.name != list(transcripts)[-1]:
            continue
        alone, alone_status = attempt([module], timeout)
        if alone_status == 0 and module.name in alone:
            transcripts[module.name] = alone[module.name]
        else:
            transcripts[module.name] = [f"crash ({alone_status})"]
    return transcripts


def first_difference(ours, theirs):
    """(export, wasmkern line, v8 line) at the first differing line, or None."""
    export = "(instantiation)"
    for index in range(max(len(ours), len(theirs))):
        a = ours[index] if index < len(ours) else "(end)"
        b = theirs[index] if index < len(theirs) else "(end)"
        if a != b:
            return export, a, b
        if a.startswith("call "):
            export = a[len("call "):]
    return None


def replay(runner, case, expected_path=None, tier="baseline"):
    """Runs a regression case; 0 when its transcript is the expected one."""
    case = Path(case)
    expected_path = Path(expected_path) if expected_path else case.with_suffix(".expected")
    expected = split_transcripts(f"module {case.name}\n" + expected_path.read_text())
    ours = run_engine([str(Path(runner).resolve()), "--tier", tier], [case], 60)
    difference = first_difference(ours.get(case.name, ["(no transcript)"]), expected[case.name])
    if difference:
        export, line_a, line_b = difference
        print(f"MISMATCH {case.name} export {export}: wasmkern '{line_a}' expected '{line_b}'")
        return 1
    print(f"{case.name}: transcript as expected")
    return 0


def record(runner, case):
    """Writes FILE.expected for regression case FILE.wat: V8's transcript of the module
    that difffuzz_run encodes from it (Wasmkern's text parser, which knows all of the
    standard syntax; binaryen 108's wasm-as does not)."""
    case = Path(case)
    module = case.with_suffix(".record.wasm")
    subprocess.run([str(Path(runner).resolve()), "--wat2wasm", str(case), str(module)], check=True)
    try:
        transcript = run_engine(["node", str(HERE / "run.mjs")], [module], 60)[module.name]
    finally:
        module.unlink()
    case.with_suffix(".expected").write_text("\n".join(transcript) + "\n")
    print(f"wrote {case.with_suffix('.expected')}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runner", help="the difffuzz_run binary")
    parser.add_argument("--tier", choices=["baseline", "optimized", "tiered"], default="baseline",
                        help="the compiler tier difffuzz_run uses")
    parser.add_argument("--lazy", action="store_true",
                        help="difffuzz_run compiles each function at its first call")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=1000, help="number of modules (seeds)")
    parser.add_argument("--batch", type=int, default=50, help="modules per runner process")
    parser.add_argument("--max-input", type=int, default=INPUT_SIZES[1],
                        help="largest random input in bytes (bigger modules, slower)")
    parser.add_argument("--hang-limit", type=int,
                        help="loop iterations and calls per export instead of binaryen's 10 (slower)")
    parser.add_argument("--work-dir", default="difffuzz-work", help="scratch and failures folder")
    parser.add_argument("--keep", action="store_true", help="keep every generated module")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per runner process")
    parser.add_argument("--replay", metavar="FILE.wat", help="check one regression case against FILE.expected")
    parser.add_argument("--record", metavar="FILE.wat", help="write FILE.expected from node")
    parser.add_argument("--expected", help="with --replay: the expected transcript (default FILE.expected)")
    args = parser.parse_args()
    if not args.runner:
        parser.error("--runner is required")
    if args.record:
        return record(args.runner, args.record)
    if args.replay:
        return replay(args.runner, args.replay, args.expected, args.tier)

    for tool in ("wasm-opt", "node"):
        if shutil.which(tool) is None:
            print(f"{tool} not found: skipped")
            return SKIP
    work = Path(args.work_dir)
    failures = work / "failures"
    work.mkdir(parents=True, exist_ok=True)
    wasmkern = [str(Path(args.runner).resolve()), "--tier", args.tier] + (["--lazy"] if args.lazy else [])
    v8 = ["node", str(HERE / "run.mjs")]

    started = time.monotonic()
    modules_run = mismatches = rejected = calls = traps = 0
    seeds = range(args.first_seed, args.first_seed + args.count)
    for offset in range(0, len(seeds), args.batch):
        generated = (generate(seed, work, args.max_input, args.hang_limit)
                     for seed in seeds[offset:offset + args.batch])
        batch = [path for path in generated if path]
        ours = run_engine(wasmkern, batch, args.timeout)
        theirs = run_engine(v8, batch, args.timeout)
        for module in batch:
            modules_run += 1
            a = ours.get(module.name, ["(no transcript)"])
            b = theirs.get(module.name, ["(no transcript)"])
            difference = first_difference(a, b)
            if a[:1] == ["error"] and b[:1] == ["error"]:
                rejected += 1
            calls += sum(line.startswith("call ") for line in b)
            traps += b.count("trap")
            if difference:
                mismatches += 1
                failures.mkdir(exist_ok=True)
                shutil.copy(module, failures / module.name)
                (failures / f"{module.stem}.wasmkern.txt").write_text("\n".join(a) + "\n")
                (failures / f"{module.stem}.v8.txt").write_text("\n".join(b) + "\n")
                export, line_a, line_b = difference
                print(f"MISMATCH seed {module.stem} export {export}: wasmkern '{line_a}' v8 '{line_b}'"
                      f" (kept in {failures})", flush=True)
            if not args.keep:
                module.unlink()
        elapsed = time.monotonic() - started
        print(f"[{min(offset + args.batch, len(seeds))}/{len(seeds)}] {modules_run} modules,"
              f" {mismatches} mismatches ({rejected} rejected by both, {calls} calls, {traps} traps), {elapsed:.0f} s",
              flush=True)

    print(f"{modules_run} modules, {mismatches} mismatches")
    # NOTE: a run that compared almost nothing must not pass: modules that wasm-opt could
    # not make, or that both engines reject, test nothing.
    if modules_run < len(seeds) * 0.9 or rejected > modules_run * 0.1:
        print(f"too few modules ran: {len(seeds) - modules_run} not generated, {rejected} rejected by both")
        return 1
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
