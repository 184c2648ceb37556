#!/usr/bin/env python3
"""Wasmkern benchmark harness: builds the programs in bench/programs natively and for
wasm32-wasi, runs them side by side on every runtime, checks that all runtimes print the
same checksum, and prints tables of ratios to native code. See bench/README.md.

    bench/harness/bench.py                      # full run, writes bench/RESULTS.md
    bench/harness/bench.py --profile smoke      # every program once, tiny sizes (ctest)
    bench/harness/bench.py --only matmul,lz --runs 3 --profile quick

Exit status: 0 when every run succeeded and all checksums agree, 1 otherwise.
"""

import argparse
import concurrent.futures
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpd
import ipc
import storage

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
REPO = BENCH.parent
PROGRAMS = BENCH / "programs"
MICRO = HERE / "micro"

CC = os.environ.get("WK_BENCH_CC", "clang-19")
NODE = os.environ.get("WK_BENCH_NODE", "node")

# Size argument per program and profile. "full" aims at roughly 0.1-0.3 s of native work per
# run on one core of the (shared, loaded) 2-core development machine; "quick" at a fifth of
# that; "smoke" at a millisecond or less, enough to exercise every code path once.
SIZES = {
    #             smoke    quick    full
    "matmul":     (40,     300,     600),
    "lu":         (40,     400,     700),
    "fft":        (1024,   1 << 15, 1 << 17),
    "nbody":      (20,     1600,    8000),
    "spectral":   (50,     500,     1200),
    "mandelbrot": (40,     350,     800),
    "fannkuch":   (6,      9,       10),
    "sieve":      (10000,  4000000, 20000000),
    "sha256":     (4,      400,     2048),
    "crc32":      (4,      1000,    5000),
    "lz":         (16,     200,     1024),
    "bintrees":   (6,      12,      14),
    "quicksort":  (2000,   150000,  750000),
    "interp":     (200,    6000,    30000),
    "strsearch":  (8,      150,     768),
    "calls":      (14,     30,      33),
    "hashmap":    (2000,   80000,   400000),
}
PROFILES = {"smoke": 0, "quick": 1, "full": 2}
DEFAULT_RUNS = {"smoke": 1, "quick": 3, "full": 5}

# V8's flags per column. Lazy compilation (V8's default) would compile each function on its
# first call, inside the program's timed work; eager compilation keeps compile time in the
# process time only, so the work time compares generated code.
NODE_COLUMNS = [
    ("node-turbofan", ["--no-liftoff", "--no-wasm-lazy-compilation"]),
    ("node-liftoff", ["--liftoff", "--no-wasm-tier-up", "--no-wasm-lazy-compilation"]),
]

RUN_TIMEOUT_S = 300

# How the programs are built. wasm has no SIMD here (no -msimd128): the wasm engines are
# compared on scalar code, while native -O2 may auto-vectorise with SSE2. -ffp-contract=off
# keeps a native compiler that may use FMA (another CC, -march) from fusing a*b+c, which wasm
# never does and which would change the floating-point checksums.
COMMON_FLAGS = ["-O2", "-ffp-contract=off", "-Wall", "-Wextra", "-std=c17"]
NATIVE_FLAGS = [*COMMON_FLAGS]
WASM_FLAGS = ["--target=wasm32-wasi", *COMMON_FLAGS, "-Wl,--strip-debug"]


class Column:
    """One runtime: how to run a program, or why it cannot."""

    def __init__(self, name, command, kind, unavailable=None):
        self.name = name
        self.command = command  # function (native_path, wasm_path, size) -> argv
        self.kind = kind  # "native", "wasmkern", "kernel" (in-kernel wasmkern) or "node"
        self.unavailable = unavailable  # reason string when the column prints n/a
        self.detail = None  # what the runtime said when it was probed and failed
        self.tier = None  # wasmkern columns: the compiler tier its `run` arguments pick


class Sample:
    def __init__(self, checksum, work_ns, process_ns, stats):
        self.checksum = checksum
        self.work_ns = work_ns
        self.process_ns = process_ns
        self.stats = stats  # compile_ns / instantiate_ns when the runtime reports them


class RunError(Exception):
    pass


def log(message):
    print(message, file=sys.stderr, flush=True)


# --- building ---------------------------------------------------------------------------

def wasi_sysroot():
    if os.environ.get("WASI_SYSROOT"):
        return Path(os.environ["WASI_SYSROOT"])
    if Path("/usr/lib/wasm32-wasi/libc.a").exists():
        return Path("/usr")
    try:
        files = subprocess.run(["dpkg", "-L", "wasi-libc"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        files = ""
    for line in files.splitlines():
        if line.endswith("/lib/wasm32-wasi/libc.a"):
            return Path(line).parents[2]
    raise SystemExit("bench: no wasi-libc sysroot (apt install wasi-libc libclang-rt-19-dev-wasm32, "
                     "or set WASI_SYSROOT)")


def stale(output, inputs):
    if FLAGS_CHANGED or not output.exists():
        return True
    built = output.stat().st_mtime
    return any(path.stat().st_mtime > built for path in inputs)


def compile_one(argv, output):
    """Returns None on success, else the failed command and its diagnostics."""
    output.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        return f"{' '.join(map(str, argv))}\n{result.stderr}"
    if result.stderr.strip():
        sys.stderr.write(result.stderr)
    return None


FLAGS_CHANGED = False


def build(build_dir, names, with_micro, jobs, with_storage=False, with_ipc=False, with_httpd=False):
    """Compiles what is missing or older than its sources; everything when the flags changed."""
    global FLAGS_CHANGED
    sysroot = wasi_sysroot()
    header = PROGRAMS / "bench.h"
    signature = build_dir / "flags.txt"
    flags_text = f"{CC} {NATIVE_FLAGS} {WASM_FLAGS} --sysroot={sysroot}\n"
    FLAGS_CHANGED = not signature.exists() or signature.read_text() != flags_text
    steps = []  # (argv, output, inputs)
    for name in names:
        source = PROGRAMS / f"{name}.c"
        native = build_dir / "native" / name
        wasm = build_dir / "wasm" / f"{name}.wasm"
        steps.append(([CC, *NATIVE_FLAGS, str(source), "-o", str(native), "-lm"], native, [source, header]))
        steps.append(([CC, *WASM_FLAGS, f"--sysroot={sysroot}", str(source), "-o", str(wasm)], wasm, [source, header]))
    if with_micro:
        micro = build_dir / "micro"
        for name in ["getpid", "spawn"]:
            steps.append(([CC, "-O2", str(MICRO / f"{name}.c"), "-o", str(micro / name)], micro / name,
                          [MICRO / f"{name}.c"]))
        # A static child keeps the dynamic loader out of the spawn figure.
        steps.append(([CC, "-O2", "-static", str(MICRO / "spawn_child.c"), "-o", str(micro / "spawn_child")],
                      micro / "spawn_child", [MICRO / "spawn_child.c"]))
        steps.append(([CC, "--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry", str(MICRO / "hostcall.c"),
                       "-o", str(micro / "hostcall.wasm")], micro / "hostcall.wasm", [MICRO / "hostcall.c"]))
    if with_micro:
        write_instantiation_modules(build_dir / "micro")
    if with_storage:
        steps.extend(storage.build_steps(build_dir, CC, ["--target=wasm32-wasi", f"--sysroot={sysroot}"]))
    if with_ipc:
        steps.extend(ipc.build_steps(build_dir, CC))
    if with_httpd:
        steps.extend(httpd.build_steps(build_dir, CC))
    steps = [(argv, output) for argv, output, inputs in steps if stale(output, inputs)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        errors = [error for error in pool.map(lambda step: compile_one(*step), steps) if error]
    if errors:
        sys.stderr.write("\n".join(errors))
        raise SystemExit(f"bench: {len(errors)} build step(s) failed")
    signature.parent.mkdir(parents=True, exist_ok=True)
    signature.write_text(flags_text)
    FLAGS_CHANGED = False
    if steps:
        log(f"bench: built {len(steps)} file(s) in {build_dir}")


def wasm_leb(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def wasm_section(section_id, *items):
    payload = wasm_leb(len(items)) + b"".join(items)
    return bytes([section_id]) + wasm_leb(len(payload)) + payload


def wasm_name(text):
    return wasm_leb(len(text)) + text.encode()


# The modules both engines instantiate for the instantiation table, encoded here so that
# wasmkern and V8 read the same bytes:
#   (module (func (export "f")))
#   (module (memory (export "memory") 1) (data (i32.const 16) "...") (func (export "f")))
INSTANTIATION_MODULES = {
    "no-memory": [(1, [b"\x60\x00\x00"]), (3, [b"\x00"]), (7, [wasm_name("f") + b"\x00\x00"]),
                  (10, [b"\x02\x00\x0b"])],
    "memory": [(1, [b"\x60\x00\x00"]), (3, [b"\x00"]), (5, [b"\x00\x01"]),
               (7, [wasm_name("f") + b"\x00\x00", wasm_name("memory") + b"\x02\x00"]),
               (10, [b"\x02\x00\x0b"]),
               (11, [b"\x00\x41\x10\x0b" + wasm_name("wasmkern benchmark data segment")])],
}


def instantiation_module(build_dir, name):
    return build_dir / "micro" / f"instantiate-{name}.wasm"


def write_instantiation_modules(micro):
    micro.mkdir(parents=True, exist_ok=True)
    for name, sections in INSTANTIATION_MODULES.items():
        data = b"\x00asm\x01\x00\x00\x00" + b"".join(wasm_section(i, *items) for i, items in sections)
        path = micro / f"instantiate-{name}.wasm"
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)


# --- running ----------------------------------------------------------------------------

def parse_output(text, what):
    checksum = re.search(r"^checksum: ([0-9a-f]{16})$", text, re.M)
    work = re.search(r"^time_ns: (\d+)$", text, re.M)
    if not checksum or not work:
        raise RunError(f"{what}: no checksum/time_ns lines in its output: {text.strip()[:200]!r}")
    return checksum.group(1), int(work.group(1))


def run_once(argv, what, env=None):
    start = time.perf_counter_ns()
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=env)
    except subprocess.TimeoutExpired:
        raise RunError(f"{what}: timed out after {RUN_TIMEOUT_S} s")
    except OSError as error:
        raise RunError(f"{what}: cannot start: {error}")
    process_ns = time.perf_counter_ns() - start
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip())[:300]
        raise RunError(f"{what}: exit status {result.returncode}: {detail}")
    checksum, work_ns = parse_output(result.stdout, what)
    stats = {key: int(value) for key, value in re.findall(r"^(compile_ns|instantiate_ns): (\d+)$",
                                                              result.stderr, re.M)}
    return Sample(checksum, work_ns, process_ns, stats)


def stats_env():
    env = dict(os.environ)
    env["WK_BENCH_STATS"] = "1"
    return env


def make_columns(args, build_dir):
    columns = [Column("native", lambda native, wasm, size: [str(native), str(size)], "native")]

    for tier_name, tier_args in wasmkern_tiers(args):
        columns.append(wasmkern_column(args, build_dir, tier_name, tier_args))

    # The in-kernel column: wasmkern booted under QEMU with KVM running the same modules.
    # Without a usable KVM it is not measured (TCG would time QEMU's emulator, not our code).
    columns.append(Column("wasmkern-kernel", None, "kernel", kernel_reason(args)))

    node = shutil.which(NODE)
    for name, flags in NODE_COLUMNS:
        reason = None if node else f"n/a ({NODE} not found)"
        columns.append(Column(name, lambda native, wasm, size, flags=flags:
                              [NODE, "--no-warnings", *flags, str(HERE / "run-wasi.mjs"), str(wasm), str(size)],
                              "node", reason))
    return columns


def probe_kvm(args):
    """(usable, detail): whether wasmkern's kernel boots under KVM here, by tools/qemu-run's
    own probe (it records the accelerator it chose in its --accel-cache file), and the
    accelerator arguments or why not. The probe boot also runs once more under whichever
    accelerator won, which costs a few seconds without KVM."""
    kernel = Path(args.wasmkern).parent / "wasmkern.elf"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False, "/dev/kvm " + ("is not accessible" if Path("/dev/kvm").exists() else "does not exist")
    if not kernel.exists():
        return False, f"no kernel at {os.path.relpath(kernel, REPO)} to probe KVM with"
    cache = Path(args.build_dir).resolve() / "qemu-accel"
    cache.unlink(missing_ok=True)
    try:
        subprocess.run([str(REPO / "tools" / "qemu-run"), "--accel-cache", str(cache), "--timeout", "10",
                        "--append", "probe", str(kernel)], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"tools/qemu-run did not run: {error}"
    accel = cache.read_text().strip() if cache.exists() else ""
    if "kvm" in accel:
        return True, accel
    return False, "/dev/kvm is present but the kernel does not boot under it: tools/qemu-run probe"


def kernel_reason(args):
    """Why the in-kernel column has no figures (args.kvm: probe_kvm's answer, None unprobed)."""
    if args.kvm is None:
        return "not measured (smoke run: KVM not probed)"
    usable, detail = args.kvm
    if not usable:
        return f"not measured: no usable KVM ({detail})"
    # PLACEHOLDER: KVM works, but the kernel cannot yet take a program from the harness.
    return f"n/a (KVM usable: {detail}; the kernel cannot run bench programs from the harness yet)"


def wasmkern_tiers(args):
    """Columns for wasmkern: --wasmkern-tier NAME=ARGS (repeatable), default one plain column."""
    if not args.wasmkern_tier:
        return [("wasmkern-baseline", [])]
    tiers = []
    for spec in args.wasmkern_tier:
        name, _, extra = spec.partition("=")
        tiers.append((f"wasmkern-{name}", extra.split()))
    return tiers


def tier_of(extra):
    """The compiler tier that `wasmkern run EXTRA...` uses: its `--tier X` or `--tier=X`,
    else the baseline (wasmkern run's default)."""
    tier = "baseline"
    for index, arg in enumerate(extra):
        if arg == "--tier" and index + 1 < len(extra):
            tier = extra[index + 1]
        elif arg.startswith("--tier="):
            tier = arg.partition("=")[2]
    return tier


def wasmkern_tier_names(columns):
    """The distinct tiers of the wasmkern columns, in column order."""
    return list(dict.fromkeys(c.tier for c in columns if c.kind == "wasmkern"))


def wasmkern_column(args, build_dir, name, extra):
    binary = Path(args.wasmkern)

    def command(native, wasm, size):
        return [str(binary), "run", *extra, str(wasm), str(size)]

    column = Column(name, command, "wasmkern")
    column.tier = tier_of(extra)
    if not binary.exists():
        column.unavailable = "n/a (wasmkern run not available: no " + os.path.relpath(binary, REPO) + ")"
        return column
    # Detect `wasmkern run`: it is there when it runs a small program to its checksum line.
    probe = build_dir / "wasm" / "sieve.wasm"
    try:
        result = subprocess.run(command(None, probe, SIZES["sieve"][0]), capture_output=True, text=True, timeout=60)
        ok = result.returncode == 0 and "checksum:" in result.stdout
        detail = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[0]
    except (OSError, subprocess.TimeoutExpired) as error:
        ok, detail = False, str(error)
    if not ok:
        column.unavailable = "n/a (wasmkern run not available)"
        column.detail = detail[:160]
    return column


def wk_bench(args, *argv):
    """`wk-bench ARGV...`'s `key: value` lines as numbers; RunError when it fails."""
    command = [str(args.wk_bench), *map(str, argv)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RunError(f"wk-bench {argv[0]}: {error}")
    if result.returncode != 0:
        raise RunError(f"wk-bench {argv[0]}: exit status {result.returncode}: {result.stderr.strip()[:300]}")
    return {key: float(value) for key, value in re.findall(r"^(\w+): ([\d.]+)$", result.stdout, re.M)}


def add_wasmkern_stats(args, columns, names, build_dir, samples):
    """Compile and instantiation times for wasmkern runs that did not report their own
    (WK_BENCH_STATS): wk-bench measures the same module once per program and tier (median of 5
    compilations and of 20 instantiations, `--tier` of the column's own tier) and every
    sample of that program in a column of that tier carries them."""
    runs = [c for c in columns if c.kind == "wasmkern" and not c.unavailable]
    if not runs or not args.wk_bench.exists():
        return False
    filled = False
    for name in names:
        wasm = build_dir / "wasm" / f"{name}.wasm"
        for tier in wasmkern_tier_names(runs):
            missing = [s for c in runs if c.tier == tier for s in samples[name][c.name] if "compile_ns" not in s.stats]
            if not missing:
                continue
            try:
                compiled = wk_bench(args, "compile", "--tier", tier, wasm, 5)
                instantiated = wk_bench(args, "instantiate", "--tier", tier, wasm, 20)
            except RunError as error:
                log(f"bench: {error}")
                continue
            for sample in missing:
                sample.stats.setdefault("compile_ns", int(compiled["compile_ns"]))
                sample.stats.setdefault("instantiate_ns", int(instantiated["instantiate_ns"]))
            filled = True
    return filled


def median(values):
    return statistics.median(values) if values else None


def run_benchmarks(args, columns, names, build_dir):
    """Returns {name: (size, reference checksum, {column: [Sample]}, {column: status})} and a
    list of failure messages. Runs go round by round over all programs and runtimes, so that
    a burst of load on the machine spoils one sample of many programs rather than every
    sample of one; each program's median then shrugs it off."""
    failures = []
    env = stats_env()
    sizes = {name: args.size.get(name, SIZES[name][PROFILES[args.profile]]) for name in names}
    samples = {name: {column.name: [] for column in columns} for name in names}
    status = {name: {} for name in names}  # column name -> "FAILED" or "WRONG": no ratio then
    for round_index in range(args.runs):
        for name in names:
            native = build_dir / "native" / name
            wasm = build_dir / "wasm" / f"{name}.wasm"
            for column in columns:
                if column.unavailable or column.name in status[name]:
                    continue
                what = f"{name} on {column.name}"
                try:
                    samples[name][column.name].append(run_once(column.command(native, wasm, sizes[name]), what, env))
                except RunError as error:
                    failures.append(str(error))
                    status[name][column.name] = "FAILED"
                    log(f"bench: FAILED {error}")
        log(f"bench: round {round_index + 1} of {args.runs} done")

    args.wasmkern_stats_from_tool = add_wasmkern_stats(args, columns, names, build_dir, samples)

    results = {}
    for name in names:
        # Every run of every runtime must print native's checksum.
        per_column = samples[name]
        reference = per_column["native"][0].checksum if per_column["native"] else None
        for column in columns:
            wrong = [s.checksum for s in per_column[column.name] if s.checksum != reference]
            if reference is not None and wrong:
                message = (f"CHECKSUM MISMATCH: {name} on {column.name} printed {wrong[0]}, "
                           f"native printed {reference}")
                failures.append(message)
                log(f"bench: {message}")
                status[name][column.name] = "WRONG"
        results[name] = (sizes[name], reference, per_column, status[name])
    return results, failures


# --- micro-benchmarks ---------------------------------------------------------------------

def v8_compile(module, flags, runs):
    result = subprocess.run([NODE, "--no-warnings", *flags, str(HERE / "v8-compile.mjs"), str(module), str(runs)],
                            capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    if result.returncode != 0:
        raise RunError(f"v8-compile: {result.stderr.strip()[:300]}")
    return {key: int(value) for key, value in re.findall(r"^(\w+): (\d+)$", result.stdout, re.M)}


def code_section_size(path):
    data = path.read_bytes()
    at = 8

    def leb():
        nonlocal at
        result = shift = 0
        while True:
            byte = data[at]
            at += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return result

    while at < len(data):
        section = data[at]
        at += 1
        size = leb()
        if section == 10:
            return size
        at += size
    return 0


def micro_value(argv, key):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    if result.returncode != 0:
        raise RunError(f"{os.path.basename(argv[0])}: {result.stderr.strip()[:300]}")
    match = re.search(rf"^{key}: ([\d.]+)$", result.stdout, re.M)
    if not match:
        raise RunError(f"{os.path.basename(argv[0])}: no {key} line")
    return float(match.group(1))


# --- printing -----------------------------------------------------------------------------

def fmt_ms(ns):
    if ns is None:
        return "n/a"
    return f"{ns / 1e6:.3f}" if ns < 1e6 else f"{ns / 1e6:.1f}"


def fmt_ratio(value):
    return "n/a" if value is None else f"{value:.2f}"


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def table(rows, header):
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i])
                       for i, cell in enumerate(row)) for row in [header, *rows]]
    return lines


def load_average():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def machine_lines(args):
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    node_version = "not found"
    if shutil.which(NODE):
        node_version = subprocess.run([NODE, "--version"], capture_output=True, text=True).stdout.strip()
        v8 = subprocess.run([NODE, "-p", "process.versions.v8"], capture_output=True, text=True).stdout.strip()
        node_version += f" (V8 {v8})"
    clang = subprocess.run([CC, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    # NOTE: the machine is shared; a load average above its cpu count means every figure
    # below includes waiting for a cpu (the medians and the spread column show how much).
    return [f"machine: {cpu}, {os.cpu_count()} cpus, {platform.system()} {platform.release()}, "
            f"load average {args.load_at_start:.2f} at start, {load_average():.2f} at end",
            f"compilers: {clang}; node {node_version}"]


def report(args, columns, names, results, failures, micro, table_lines=None):
    out = []
    emit = out.append
    emit(f"# Wasmkern benchmarks — profile {args.profile}, median of {args.runs} run(s)")
    emit("")
    out.extend(machine_lines(args))
    emit("work = the program's own time_ns (its computation only); process = the whole process, "
         "start-up included")
    for column in columns:
        if column.unavailable:
            emit(f"{column.name}: {column.unavailable}" + (f" — {column.detail}" if column.detail else ""))
    if getattr(args, "wasmkern_stats_from_tool", False):
        emit("wasmkern compile ms and inst ms: `wk-bench compile` / `wk-bench instantiate` `--tier` of the "
             "column's tier on the same module (median of 5 and 20), since `wasmkern run` does not report its own")
    emit("")

    work_ratio = {column.name: {} for column in columns}
    process_ratio = {column.name: {} for column in columns}
    work_median = {column.name: {} for column in columns}  # ns, for the goals' per-program comparison
    for name in names:
        size, reference, per_column, status = results[name]
        native = per_column["native"]
        native_work = median([s.work_ns for s in native])
        native_process = median([s.process_ns for s in native])
        emit(f"## {name}  size {size}  checksum {reference or 'n/a'}"
             + ("  !! " + ", ".join(f"{c} {v}" for c, v in status.items()) if status else ""))
        rows = []
        for column in columns:
            samples = per_column[column.name]
            if column.name in status:
                rows.append([column.name, status[column.name], "-", "-", "-", "-", "-", "-"])
                continue
            if column.unavailable or not samples:
                rows.append([column.name, "n/a", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a"])
                continue
            work = median([s.work_ns for s in samples])
            process = median([s.process_ns for s in samples])
            spread = (max(s.work_ns for s in samples) - min(s.work_ns for s in samples)) / work * 100 if work else 0
            wr = work / native_work if native_work else None
            pr = process / native_process if native_process else None
            work_ratio[column.name][name] = wr
            work_median[column.name][name] = work
            process_ratio[column.name][name] = pr
            compile_ms = median([s.stats["compile_ns"] for s in samples if "compile_ns" in s.stats])
            instantiate_ms = median([s.stats["instantiate_ns"] for s in samples if "instantiate_ns" in s.stats])
            rows.append([column.name, fmt_ms(work), fmt_ratio(wr), f"{spread:.0f}%", fmt_ms(process), fmt_ratio(pr),
                         fmt_ms(compile_ms), fmt_ms(instantiate_ms)])
        out.extend("  " + line for line in table(rows, ["runtime", "work ms", "x native", "spread",
                                                         "process ms", "x native", "compile ms", "inst ms"]))
        emit("")

    others = [column for column in columns if column.name != "native"]
    emit("## Ratio to native (work time, median)")
    rows = []
    for name in names:
        rows.append([name, *[results[name][3].get(c.name) or fmt_ratio(work_ratio[c.name].get(name))
                             for c in others]])
    work_geo = {c.name: (geomean(work_ratio[c.name].values()) if len(work_ratio[c.name]) == len(names) else None)
                for c in others}
    process_geo = {c.name: (geomean(process_ratio[c.name].values())
                            if len(process_ratio[c.name]) == len(names) else None) for c in others}

    def geo_cell(ratios, complete):
        # A runtime that ran only some programs gets "x.xx (k/n)", never a plain geomean.
        if complete is not None or not ratios:
            return fmt_ratio(complete)
        return f"{geomean(ratios.values()):.2f} ({len(ratios)}/{len(names)})"

    rows.append(["geomean (work)", *[geo_cell(work_ratio[c.name], work_geo[c.name]) for c in others]])
    rows.append(["geomean (process)", *[geo_cell(process_ratio[c.name], process_geo[c.name]) for c in others]])
    out.extend("  " + line for line in table(rows, ["benchmark", *[c.name for c in others]]))
    emit("")

    if micro is not None:
        micro_lines, figures = micro
        out.extend(micro_lines)
        emit("")
        out.extend(goals(args, columns, names, work_geo, work_median, figures))
        emit("")

    if table_lines:
        out.extend(table_lines)
        emit("")

    if failures:
        emit("## FAILURES")
        out.extend(f"  {failure}" for failure in failures)
        emit("")

    wasmkern = next((c for c in columns if c.kind == "wasmkern"), None)
    x = work_geo.get(wasmkern.name) if wasmkern else None
    y = work_geo.get("node-turbofan")
    emit("geomean over all programs of work time ratios; node = V8 TurboFan (node --no-liftoff)")
    emit(f"geomean: wasmkern/native={fmt_ratio(x)} node/native={fmt_ratio(y)}")
    return out


def goals(args, columns, names, work_geo, work_median, figures):
    """The goals of bench/README.md beside what this run measured. Measured, never tested:
    the harness does not fail because a goal is missed. The baseline rows come from the
    first wasmkern column of the baseline tier, the optimising tier's from `wasmkern-optimized`
    (or the first column of that tier)."""
    out = ["## Goals (bench/README.md) beside this run"]
    wasmkern = [c for c in columns if c.kind == "wasmkern"]
    base_column = next((c for c in wasmkern if c.tier == "baseline"), wasmkern[0] if wasmkern else None)
    opt_column = next((c for c in wasmkern if c.name == "wasmkern-optimized"),
                      next((c for c in wasmkern if c.tier == "optimized"), None))
    baseline = work_geo.get(base_column.name) if base_column else None
    liftoff = work_geo.get("node-liftoff")

    def verdict(value, goal_met):
        return "n/a" if value is None else ("met" if goal_met else "missed")

    rows = [["baseline: geomean x native <= 2", fmt_ratio(baseline), verdict(baseline, baseline and baseline <= 2)],
            ["baseline: faster than V8 Liftoff (geomean)",
             f"{fmt_ratio(baseline)} vs {fmt_ratio(liftoff)}" if baseline and liftoff else "n/a",
             verdict(baseline and liftoff, baseline and liftoff and baseline < liftoff)]]
    rows.extend(optimized_goal_rows(opt_column, names, work_geo, work_median, figures, verdict))
    mb_s = figures.get("compile_mb_s")
    rows.append(["compile >= 100 MB/s per core", f"{mb_s:.1f} MB/s" if mb_s else "n/a",
                 verdict(mb_s, mb_s and mb_s >= 100)])
    host = figures.get("hostcall_ns")
    rows.append(["host call <= 5 ns (hosted)", f"{host:.2f} ns" if host else "n/a", verdict(host, host and host <= 5)])
    kernel = kernel_micro_reason(args)
    rows.append(["spawn <= 20 us (in the kernel)", "n/a", kernel.split(" (")[0]])
    rows.append(["boot <= 20 ms under KVM (bench/boot-time.sh)", "n/a", kernel.split(" (")[0]])
    out.extend("  " + line for line in table(rows, ["goal", "measured", "status"]))
    return out


def optimized_goal_rows(column, names, work_geo, work_median, figures, verdict):
    """The optimising tier's goals: its work geomean, its work time beside TurboFan's on each
    program (medians), and its compile time of the largest module beside TurboFan's."""
    if column is None:
        return [["optimising tier: <= 1.2 x native", "n/a", "no wasmkern-optimized column"],
                ["optimising tier: faster than TurboFan on every program", "n/a", "no wasmkern-optimized column"],
                ["optimising tier compiles >= 2x faster than TurboFan", "n/a", "no wasmkern-optimized column"]]
    rows = []
    geo = work_geo.get(column.name)
    rows.append(["optimising tier: <= 1.2 x native", fmt_ratio(geo), verdict(geo, geo and geo <= 1.2)])
    ours, turbofan = work_median.get(column.name, {}), work_median.get("node-turbofan", {})
    compared = [name for name in names if name in ours and name in turbofan]
    slower = [name for name in compared if turbofan[name] < ours[name]]
    if len(compared) < len(names):
        # A program either side did not run (failed, wrong, n/a): no verdict on "every program".
        measured = (f"slower on {', '.join(slower)}" if slower else "faster on all compared") + \
            f" ({len(compared)}/{len(names)} compared)"
        rows.append(["optimising tier: faster than TurboFan on every program", measured if compared else "n/a", "n/a"])
    else:
        measured = f"slower on {', '.join(slower)}" if slower else f"faster on all {len(compared)}"
        rows.append(["optimising tier: faster than TurboFan on every program", measured, "missed" if slower else "met"])
    ours_ns = figures.get("compile_ns", {}).get(column.tier)
    turbofan_ns = figures.get("turbofan_compile_ns")
    if ours_ns and turbofan_ns:
        speedup = turbofan_ns / ours_ns
        measured = f"{ours_ns / 1e6:.2f} ms vs {turbofan_ns / 1e6:.2f} ms ({speedup:.2f}x, {figures['compile_module']})"
        rows.append(["optimising tier compiles >= 2x faster than TurboFan", measured,
                     "met" if speedup >= 2 else "missed"])
    else:
        rows.append(["optimising tier compiles >= 2x faster than TurboFan", "n/a", "n/a"])
    return rows


def measure_micro(args, columns, build_dir):
    """Compile speed, instantiation, host calls and spawn, wasmkern (wk-bench) beside V8 and
    Linux. Returns the printed lines and the figures the goals table quotes."""
    out = []
    emit = out.append
    figures = {}
    node_ok = shutil.which(NODE) is not None
    tool_ok = args.wk_bench.exists()
    tool_missing = f"n/a: no {os.path.relpath(args.wk_bench, REPO)}"
    v8_flags = ["--no-wasm-lazy-compilation", "--single-threaded", "--no-wasm-native-module-cache-enabled"]
    liftoff = ["--liftoff", "--no-wasm-tier-up"]
    hostcall = build_dir / "micro" / "hostcall.wasm"

    emit("## Compile speed (largest benchmark module, one thread)")
    modules = [build_dir / "wasm" / f"{name}.wasm" for name in SIZES]
    largest = max(modules, key=code_section_size)
    code_bytes = code_section_size(largest)
    emit(f"  module {largest.name}: {largest.stat().st_size} bytes, code section {code_bytes} bytes; "
         "MB/s = code-section bytes / compile time (decode + validate + compile + link)")
    rows = []
    splits = []
    figures["compile_module"] = largest.name
    # One row per wasmkern tier that has a column (`wk-bench compile --tier T`).
    tiers = wasmkern_tier_names(columns) or ["baseline"]
    for tier in tiers:
        label = f"wasmkern {tier}"
        if not tool_ok:
            rows.append([label, "n/a", "n/a", "n/a", "n/a"])
            continue
        try:
            stats = wk_bench(args, "compile", "--tier", tier, largest, args.compile_runs)
            median_ns, min_ns = stats["compile_ns"], stats["compile_min_ns"]
            rows.append([label, f"{median_ns / 1e6:.2f}", f"{min_ns / 1e6:.2f}",
                         f"{code_bytes / median_ns * 1e3:.1f}", f"{code_bytes / min_ns * 1e3:.1f}"])
            figures.setdefault("compile_ns", {})[tier] = median_ns
            if tier == "baseline":
                figures["compile_mb_s"] = code_bytes / median_ns * 1e3
            split = (f"  {label}: decode+validate {stats['validate_ns'] / 1e6:.2f} ms, compile+link "
                     f"{stats['codegen_ns'] / 1e6:.2f} ms (medians), {int(stats['machine_code_bytes'])} bytes of "
                     f"machine code for {int(stats['functions'])} functions")
            if tier != "baseline":
                split += (f" ({int(stats.get('optimized_functions', 0))} optimised, "
                          f"{int(stats.get('baseline_fallbacks', 0))} left to the baseline)")
            splits.append(split)
        except (RunError, KeyError) as error:
            rows.append([label, "n/a", "n/a", "n/a", "n/a"])
            log(f"bench: {error}")
    for label, flags in [("V8 Liftoff", liftoff), ("V8 TurboFan", ["--no-liftoff"])]:
        if not node_ok:
            rows.append([label, "n/a", "n/a", "n/a", "n/a"])
            continue
        try:
            stats = v8_compile(largest, [*flags, *v8_flags], args.compile_runs)
            median_ns, min_ns = stats["compile_ns"], stats["compile_min_ns"]
            rows.append([label, f"{median_ns / 1e6:.2f}", f"{min_ns / 1e6:.2f}",
                         f"{stats['code_bytes'] / median_ns * 1e3:.1f}", f"{stats['code_bytes'] / min_ns * 1e3:.1f}"])
            if label == "V8 TurboFan":
                figures["turbofan_compile_ns"] = median_ns
        except (RunError, KeyError, subprocess.TimeoutExpired) as error:
            rows.append([label, "n/a", "n/a", "n/a", "n/a"])
            log(f"bench: {error}")
    # The same engines on a one-function module: the per-module cost that MB/s above includes.
    for tier in tiers if tool_ok else []:
        try:
            stats = wk_bench(args, "compile", "--tier", tier, hostcall, args.compile_runs)
            rows.append([f"wasmkern {tier}, 1-function module", f"{stats['compile_ns'] / 1e6:.3f}",
                         f"{stats['compile_min_ns'] / 1e6:.3f}", "-", "-"])
        except (RunError, KeyError) as error:
            log(f"bench: {error}")
    if node_ok:
        try:
            stats = v8_compile(hostcall, [*liftoff, *v8_flags], args.compile_runs)
            rows.append(["V8 Liftoff, 1-function module", f"{stats['compile_ns'] / 1e6:.3f}",
                         f"{stats['compile_min_ns'] / 1e6:.3f}", "-", "-"])
        except (RunError, KeyError, subprocess.TimeoutExpired) as error:
            log(f"bench: {error}")
    out.extend("  " + line for line in table(rows, ["engine", "median ms", "min ms", "MB/s (median)", "MB/s (best)"]))
    out.extend(splits)
    if not tool_ok:
        emit(f"  wasmkern: {tool_missing}")
    emit(f"  wasmkern: `wk-bench compile --tier T`, {args.compile_runs} compilations after a warm-up (bench/tools)")
    emit(f"  V8: new WebAssembly.Module, {args.compile_runs} compilations, flags {' '.join(v8_flags)}")
    emit("")

    emit("## Instantiation (compiled module to instance, imports resolved)")
    rows = []
    targets = [("1 function, no memory", instantiation_module(build_dir, "no-memory")),
               ("1 function, 64 KiB memory + data segment", instantiation_module(build_dir, "memory")),
               (f"{largest.name} (WASI imports)", largest)]
    for label, module in targets:
        row = [label]
        if tool_ok:
            try:
                stats = wk_bench(args, "instantiate", module, args.instantiations)
                row += [f"{stats['instantiate_ns'] / 1e3:.2f}", f"{stats['instantiate_min_ns'] / 1e3:.2f}"]
                figures.setdefault("instantiate_us", {})[label] = stats["instantiate_ns"] / 1e3
            except (RunError, KeyError) as error:
                row += ["n/a", "n/a"]
                log(f"bench: {error}")
        else:
            row += ["n/a", "n/a"]
        if node_ok and module != largest:
            try:
                result = subprocess.run([NODE, "--no-warnings", *liftoff, str(HERE / "v8-instantiate.mjs"),
                                         str(module), str(args.instantiations)],
                                        capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
                stats = {k: int(v) for k, v in re.findall(r"^(\w+): (\d+)$", result.stdout, re.M)}
                row += [f"{stats['instantiate_ns'] / 1e3:.2f}", f"{stats['instantiate_min_ns'] / 1e3:.2f}"]
            except (OSError, KeyError, subprocess.TimeoutExpired):
                row += ["n/a", "n/a"]
                log(f"bench: v8-instantiate: {result.stderr.strip()[:300] if 'result' in locals() else 'did not run'}")
        else:
            row += ["-", "-"]
        rows.append(row)
    out.extend("  " + line for line in table(rows, ["module", "wasmkern median us", "min us",
                                                     "V8 median us", "min us"]))
    emit(f"  wasmkern: `wk-bench instantiate`, Store::instantiate only, {args.instantiations} fresh stores; "
         f"V8: new WebAssembly.Instance (Liftoff), {args.instantiations} instances; the benchmark programs' "
         "own instantiation is the inst ms column above")
    emit("")

    emit("## Host calls (wasm calling a trivial host function) beside the Linux syscall floor")
    rows = []
    if tool_ok:
        try:
            stats = wk_bench(args, "hostcall", hostcall, args.hostcalls)
            rows.append(["wasmkern hosted, native host entry", f"{stats['ns_per_call']:.2f}"])
            rows.append(["wasmkern hosted, array-call trampoline", f"{stats['ns_per_call_array']:.2f}"])
            figures["hostcall_ns"] = stats["ns_per_call"]
        except (RunError, KeyError) as error:
            rows.append(["wasmkern hosted", "n/a"])
            log(f"bench: {error}")
    else:
        rows.append(["wasmkern hosted", "n/a"])
    rows.append(["wasmkern in-kernel", "n/a"])
    for label, flags in [("V8 TurboFan, wasm -> JS", ["--no-liftoff"]), ("V8 Liftoff, wasm -> JS", liftoff)]:
        try:
            value = micro_value([NODE, "--no-warnings", *flags, str(HERE / "hostcall.mjs"), str(hostcall),
                                 str(args.hostcalls)], "ns_per_call")
            rows.append([label, f"{value:.2f}"])
        except (RunError, OSError) as error:
            rows.append([label, "n/a"])
            log(f"bench: {error}")
    try:
        value = micro_value([str(build_dir / "micro" / "getpid"), str(args.syscalls)], "ns_per_call")
        rows.append(["Linux getpid syscall", f"{value:.1f}"])
    except (RunError, OSError) as error:
        rows.append(["Linux getpid syscall", "n/a"])
        log(f"bench: {error}")
    out.extend("  " + line for line in table(rows, ["call", "ns per call"]))
    emit(f"  spin(n) in harness/micro/hostcall.wasm calls the import bench.nop n = {args.hostcalls} times; "
         "median of 7, loop included")
    emit("  wasmkern: `wk-bench hostcall`; the native entry is how compiled code calls every WASI function")
    emit(f"  wasmkern in-kernel: {kernel_micro_reason(args)}")
    emit("")

    emit("## Process spawn")
    rows = [["wasmkern in-kernel spawn", "n/a", "n/a"]]
    try:
        spawn = [str(build_dir / "micro" / "spawn"), str(build_dir / "micro" / "spawn_child"), str(args.spawns)]
        result = subprocess.run(spawn, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        values = dict(re.findall(r"^(us_\w+): ([\d.]+)$", result.stdout, re.M))
        rows.append(["Linux posix_spawn + waitpid, static child", values["us_median"], values["us_min"]])
    except (KeyError, OSError, subprocess.TimeoutExpired):
        rows.append(["Linux posix_spawn + waitpid, static child", "n/a", "n/a"])
        log("bench: spawn: " + (result.stderr.strip()[:300] if "result" in locals() else "did not run"))
    out.extend("  " + line for line in table(rows, ["spawn", "median us", "min us"]))
    emit(f"  wasmkern in-kernel: {kernel_micro_reason(args)}")
    return out, figures


def kernel_micro_reason(args):
    usable, detail = args.kvm if args.kvm else (False, "not probed")
    if not usable:
        return f"not measured: no usable KVM ({detail})"
    # PLACEHOLDER: KVM works, but the kernel cannot yet run these for the harness.
    return "n/a (KVM usable; the kernel cannot run the harness's micro-benchmarks yet)"


# --- main ---------------------------------------------------------------------------------

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=PROFILES, default="full", help="size set (default full)")
    parser.add_argument("--runs", type=int, help="runs per program and runtime; the median is reported "
                                                 "(default: smoke 1, quick 3, full 5)")
    parser.add_argument("--only", help="comma-separated program names")
    parser.add_argument("--size", action="append", default=[], metavar="NAME=N", help="override one program's size")
    parser.add_argument("--build-dir", default=str(REPO / "build" / "bench-programs"),
                        help="where programs are built (default build/bench-programs)")
    parser.add_argument("--results", help="write this markdown file (e.g. bench/RESULTS.md) from the output")
    parser.add_argument("--wasmkern", default=str(REPO / "build" / "bin" / "wasmkern"), help="the wasmkern tool")
    parser.add_argument("--wk-bench", help="wasmkern's measurement tool (default: wk-bench beside --wasmkern)")
    parser.add_argument("--require-wasmkern", action="store_true",
                        help="fail when `wasmkern run` is not available (the smoke test)")
    parser.add_argument("--wasmkern-tier", action="append", metavar="NAME=ARGS",
                        help="one wasmkern column wasmkern-NAME per tier, ARGS passed after `run` (repeatable); "
                             "its `--tier X` (default baseline) is the tier wk-bench measures for it")
    parser.add_argument("--no-node", action="store_true", help="skip the node columns")
    parser.add_argument("--no-micro", action="store_true", help="skip compile speed, host calls and spawn")
    parser.add_argument("--no-storage", action="store_true",
                        help="skip the storage table (fsbench in the OS, under wasmkern run, native)")
    parser.add_argument("--storage-only", action="store_true",
                        help="only the storage table (not in the smoke profile: it boots the kernel)")
    parser.add_argument("--require-storage", action="store_true",
                        help="count a storage column that cannot run as a failure (the ctest)")
    parser.add_argument("--storage-mib", type=int, help="MiB fsbench writes and reads (default: quick 16, full 64)")
    parser.add_argument("--storage-files", type=int, help="small files fsbench creates (default: quick 200, full 500)")
    parser.add_argument("--storage-runs", type=int, help="fsbench runs per column (default: quick 1, full 3)")
    parser.add_argument("--no-ipc", action="store_true",
                        help="skip the IPC table (kernel objects in the OS beside Linux in QEMU and on the host)")
    parser.add_argument("--ipc-only", action="store_true",
                        help="only the IPC table (not in the smoke profile: it boots the kernel and a Linux guest)")
    parser.add_argument("--require-ipc", action="store_true",
                        help="count an IPC column that cannot run as a failure (the ctest)")
    parser.add_argument("--ipc-runs", type=int, help="runs of the IPC programs per column (default: quick 1, full 3)")
    parser.add_argument("--no-httpd", action="store_true",
                        help="skip the httpd table (httpd in the OS, under wasmkern run --tcplisten, native)")
    parser.add_argument("--httpd-only", action="store_true",
                        help="only the httpd table (not in the smoke profile: it boots the kernel)")
    parser.add_argument("--require-httpd", action="store_true",
                        help="count an httpd column that cannot run as a failure (the ctest)")
    parser.add_argument("--httpd-requests", type=int, help="requests per ab run (default: quick 500, full 2000)")
    parser.add_argument("--httpd-mib", type=int, help="MiB of the file curl fetches (default: quick 4, full 16)")
    parser.add_argument("--require-node", action="store_true",
                        help="exit 77 (ctest's skip code) when node is not installed")
    parser.add_argument("--build-only", action="store_true", help="build the programs and stop")
    parser.add_argument("--jobs", type=int, default=2, help="parallel compiler processes (default 2)")
    parser.add_argument("--compile-runs", type=int, default=30, help="V8 compilations timed (default 30)")
    parser.add_argument("--instantiations", type=int, default=200, help="instantiations timed (default 200)")
    parser.add_argument("--hostcalls", type=int, default=10_000_000, help="host calls per timed batch")
    parser.add_argument("--syscalls", type=int, default=1_000_000, help="getpid calls per timed batch")
    parser.add_argument("--spawns", type=int, default=300, help="posix_spawn calls timed")
    args = parser.parse_args()
    sizes = {}
    for spec in args.size:
        name, _, value = spec.partition("=")
        if name not in SIZES or not value.isdigit():
            parser.error(f"--size {spec}: expected NAME=N with NAME one of {', '.join(SIZES)}")
        sizes[name] = int(value)
    args.size = sizes
    args.wk_bench = Path(args.wk_bench) if args.wk_bench else Path(args.wasmkern).parent / "wk-bench"
    args.kvm = None
    if args.runs is None:
        args.runs = DEFAULT_RUNS[args.profile]
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    for name in ("storage_mib", "storage_files", "storage_runs"):
        if getattr(args, name) is not None and not 1 <= getattr(args, name) <= 4096:
            parser.error(f"--{name.replace('_', '-')} must be 1 to 4096")
    if args.storage_only and (args.no_storage or args.profile == "smoke"):
        parser.error("--storage-only goes with neither --no-storage nor --profile smoke")
    only_flags = [name for name in ("storage_only", "ipc_only", "httpd_only") if getattr(args, name)]
    if len(only_flags) > 1:
        parser.error("--storage-only, --ipc-only and --httpd-only go one at a time")
    if args.ipc_only and (args.no_ipc or args.profile == "smoke"):
        parser.error("--ipc-only goes with neither --no-ipc nor --profile smoke")
    if args.ipc_runs is not None and not 1 <= args.ipc_runs <= 20:
        parser.error("--ipc-runs must be 1 to 20")
    if args.httpd_requests is not None and not 1 <= args.httpd_requests <= 1_000_000:
        parser.error("--httpd-requests must be 1 to 1000000")
    if args.httpd_mib is not None and not 1 <= args.httpd_mib <= 4096:
        parser.error("--httpd-mib must be 1 to 4096")
    if args.httpd_only and (args.no_httpd or args.profile == "smoke"):
        parser.error("--httpd-only goes with neither --no-httpd nor --profile smoke")
    return args


def main():
    args = parse_args()
    names = list(SIZES)
    if args.only:
        names = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = [name for name in names if name not in SIZES]
        if unknown:
            raise SystemExit(f"bench: unknown program(s): {', '.join(unknown)}; known: {', '.join(SIZES)}")
    missing = sorted(set(path.stem for path in PROGRAMS.glob("*.c")) - set(SIZES))
    if missing:
        raise SystemExit(f"bench: program(s) without sizes in bench.py: {', '.join(missing)}")
    if args.require_node and not args.no_node and shutil.which(NODE) is None:
        log(f"bench: {NODE} not found; nothing to compare native code with (skipped)")
        return 77
    build_dir = Path(args.build_dir).resolve()
    only = args.storage_only or args.ipc_only or args.httpd_only
    with_micro = not args.no_micro and args.profile != "smoke" and not only
    with_storage = not args.no_storage and args.profile != "smoke" and (not only or args.storage_only)
    with_ipc = not args.no_ipc and args.profile != "smoke" and (not only or args.ipc_only)
    with_httpd = not args.no_httpd and args.profile != "smoke" and (not only or args.httpd_only)
    build(build_dir, [] if only else list(SIZES), with_micro, args.jobs, with_storage, with_ipc, with_httpd)
    if args.build_only:
        return 0
    if only:
        section = storage if args.storage_only else ipc if args.ipc_only else httpd
        lines, failures = section.measure(args, build_dir, table)
        lines.extend(["## FAILURES", *[f"  {failure}" for failure in failures]] if failures else [])
        print("\n".join(lines), flush=True)
        write_results(args, lines)
        return 1 if failures else 0

    # Probed once: the in-kernel column and the in-kernel micro-benchmark rows need KVM.
    args.kvm = probe_kvm(args) if args.profile != "smoke" else None
    columns = make_columns(args, build_dir)
    if args.no_node:
        columns = [c for c in columns if c.kind != "node"]
    if args.require_wasmkern:
        broken = [c for c in columns if c.kind == "wasmkern" and c.unavailable]
        for column in broken:
            log(f"bench: {column.name}: {column.unavailable}" + (f" — {column.detail}" if column.detail else ""))
        if broken:
            return 1
    started = time.monotonic()
    args.load_at_start = load_average()
    results, failures = run_benchmarks(args, columns, names, build_dir)
    micro = measure_micro(args, columns, build_dir) if with_micro else None
    table_lines = []
    for section, wanted in ((storage, with_storage), (ipc, with_ipc), (httpd, with_httpd)):
        if wanted:
            section_lines, section_failures = section.measure(args, build_dir, table)
            table_lines.extend([*([""] if table_lines else []), *section_lines])
            failures.extend(section_failures)
    lines = report(args, columns, names, results, failures, micro, table_lines)
    elapsed = time.monotonic() - started
    # The geomean line stays last; the elapsed time goes just before it.
    lines.insert(len(lines) - 2, f"harness wall time: {elapsed:.0f} s")
    print("\n".join(lines), flush=True)
    write_results(args, lines)
    return 1 if failures else 0


def write_results(args, lines):
    if not args.results:
        return
    path = Path(args.results)
    header = ["<!-- Generated by bench/harness/bench.py from its own output; do not edit by hand. -->",
              "# Benchmark results", "",
              f"Command: `bench/harness/bench.py {' '.join(sys.argv[1:])}`", "",
              "See bench/README.md for what each column means.", "", "```"]
    path.write_text("\n".join([*header, *lines, "```", ""]))
    log(f"bench: wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
