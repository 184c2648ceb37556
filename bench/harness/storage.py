"""The storage table of the benchmark harness (issue 18): userland/corpus/fsbench.c, one
program, run three ways: in the OS on /data (a fresh ext2 image on a virtio-blk disk, the
kernel booted by tools/qemu-run), under `wasmkern run` on a host directory, and natively on
Linux in the same directory. See bench/README.md, "Storage".

bench.py calls build_steps() (fsbench is built with the benchmark programs) and measure()."""

import os
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from sections import Columns, os_unavailable

REPO = Path(__file__).resolve().parent.parent.parent
FSBENCH = REPO / "userland" / "corpus" / "fsbench.c"
QEMU_RUN = REPO / "tools" / "qemu-run"
MAKE_INITRD = REPO / "tools" / "make-initrd"

# Per profile: MiB written and read back, small files created, runs per column. "full" keeps
# the OS boot (QEMU without KVM: emulated) near half a minute on the loaded 2-core machine.
SIZES = {"quick": (16, 200, 1), "full": (64, 500, 3)}
# The image: as `make run`'s default disk (256 MiB), with 4 KiB blocks (mke2fs would pick 1 KiB
# for a file system this small; the cache's 128 blocks then hold only 128 KiB).
IMAGE_BYTES = 256 << 20
IMAGE_BLOCK = 4096
# The programs the OS needs besides fsbench: the shell that reads the console, and poweroff.
OS_PROGRAMS = ("sh", "poweroff")
POWEROFF_STATUS = 3
HOST_TIMEOUT_S = 300

# fsbench's one line of output (printf in userland/corpus/fsbench.c).
LINE = re.compile(r"^fsbench: (\d+) MiB write\+fsync (\d+) ms \(([\d.]+|inf) MB/s\), read (\d+) ms "
                  r"\(([\d.]+|inf) MB/s\), (\d+) MiB differ; (\d+) files created\+fsync (\d+) ms "
                  r"\(([\d.]+|inf) creates/s\)$", re.M)
# (label, index of the group in LINE, format)
ROWS = [("sequential write + fsync, MB/s", 3, "{:.1f}"),
        ("sequential read, MB/s", 5, "{:.1f}"),
        ("small-file creates + directory fsync, per s", 9, "{:.0f}")]


def build_steps(build_dir, cc, wasm_target_flags):
    """(argv, output, inputs) for bench.build(): fsbench natively and for wasm32-wasi. The
    programs' COMMON_FLAGS say -std=c17, which hides POSIX's fsync; fsbench is built as the
    userland builds it (gnu17)."""
    flags = ["-O2", "-Wall", "-Wextra", "-std=gnu17"]
    native = build_dir / "storage" / "fsbench"
    wasm = build_dir / "storage" / "fsbench.wasm"
    return [([cc, *flags, str(FSBENCH), "-o", str(native)], native, [FSBENCH]),
            ([cc, *wasm_target_flags, *flags, "-Wl,--strip-debug", str(FSBENCH), "-o", str(wasm)], wasm, [FSBENCH])]


def parse(text, runs):
    """The figures of every fsbench line in `text`: a list of {group index: float}. A run that
    read back other bytes than it wrote, or fewer lines than runs, is an error."""
    found = []
    for match in LINE.finditer(text):
        if int(match.group(6)) != 0:
            raise RuntimeError(f"fsbench read back {match.group(6)} MiB that differ from what it wrote")
        found.append({index: float(match.group(index)) for _, index, _ in ROWS})
    if len(found) != runs:
        tail = " | ".join(text.strip().splitlines()[-4:])[:400]
        raise RuntimeError(f"{len(found)} fsbench lines of {runs} expected: {tail!r}")
    return found


def run_host(argv, runs):
    out = []
    for _ in range(runs):
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=HOST_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise RuntimeError(str(error))
        if result.returncode != 0:
            raise RuntimeError(f"exit status {result.returncode}: {(result.stderr or result.stdout).strip()[:300]}")
        out.extend(parse(result.stdout, 1))
    return out


def run_in_os(kernel, userland, wasm, work, accel_cache, mib, files, runs):
    """Boots the kernel once with a fresh ext2 image as vda (mounted at /data) and an initrd
    holding sh, poweroff and fsbench; the shell runs fsbench `runs` times, then powers off.
    Returns (figures, the accelerator qemu-run chose)."""
    image = work / "disk.img"
    with open(image, "wb") as disk:
        disk.truncate(IMAGE_BYTES)
    made = subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", str(IMAGE_BLOCK), str(image)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        raise RuntimeError(f"mke2fs: {made.stderr.strip()[:300]}")
    stage = work / "programs"
    stage.mkdir()
    for name in OS_PROGRAMS:
        shutil.copyfile(userland / f"{name}.wasm", stage / f"{name}.wasm")
    shutil.copyfile(wasm, stage / "fsbench.wasm")
    initrd = work / "initrd.tar"
    made = subprocess.run([str(MAKE_INITRD), "--userland", str(stage), str(initrd)], capture_output=True, text=True)
    if made.returncode != 0:
        raise RuntimeError(f"make-initrd: {made.stderr.strip()[:300]}")
    commands = f"/bin/fsbench /data {mib} {files}\n" * runs + f"/bin/poweroff {POWEROFF_STATUS}\n"
    # A generous bound: under emulation and load a 64 MiB run has taken 10-15 s.
    timeout = 60 + runs * mib
    try:
        result = subprocess.run([str(QEMU_RUN), "--accel-cache", str(accel_cache), "--timeout", str(timeout),
                                 "--disk", str(image), "--initrd", str(initrd), str(kernel)],
                                input=commands, capture_output=True, text=True, timeout=timeout + 60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RuntimeError(f"tools/qemu-run: {error}")
    transcript = result.stdout.replace("\r\n", "\n")
    if result.returncode != POWEROFF_STATUS:
        tail = " | ".join(transcript.strip().splitlines()[-4:])[:400]
        raise RuntimeError(f"the boot ended with status {result.returncode}, not poweroff's {POWEROFF_STATUS}: {tail!r}")
    accel = accel_cache.read_text().strip() if accel_cache.exists() else "unknown"
    return parse(transcript, runs), accel


def file_system_type(path):
    result = subprocess.run(["stat", "-f", "-c", "%T", str(path)], capture_output=True, text=True)
    return result.stdout.strip() or "unknown"


def cell(figures, index, form):
    values = [f[index] for f in figures]
    middle = form.format(statistics.median(values))
    if len(values) == 1:
        return middle
    return f"{middle} ({form.format(min(values))}-{form.format(max(values))})"


def measure(args, build_dir, table):
    """The storage section's lines and the failures (fsbench failed or read back wrong data;
    with --require-storage also a column that cannot run). `table` is bench.py's table printer."""
    mib, files, runs = SIZES["quick" if args.profile == "quick" else "full"]
    mib = args.storage_mib or mib
    files = args.storage_files or files
    runs = args.storage_runs or runs
    native = build_dir / "storage" / "fsbench"
    wasm = build_dir / "storage" / "fsbench.wasm"
    wasmkern = Path(args.wasmkern)
    kernel = wasmkern.parent / "wasmkern.elf"
    userland = wasmkern.parent.parent / "userland"
    accel_cache = build_dir / "qemu-accel"
    table_columns = Columns("storage", args.require_storage)
    columns, failures = table_columns.columns, table_columns.failures
    column = table_columns.add
    with tempfile.TemporaryDirectory(prefix="storage-", dir=build_dir) as scratch:
        work = Path(scratch)
        host = work / "host"
        host.mkdir()
        fs_type = file_system_type(host)
        accel = []
        reason = os_unavailable(kernel, userland, OS_PROGRAMS, ("mke2fs", "qemu-system-x86_64"))

        def in_os():
            figures, chosen = run_in_os(kernel, userland, wasm, work, accel_cache, mib, files, runs)
            accel.append(chosen)
            return figures

        column("in the OS, /data", in_os, reason)
        column("wasmkern run, host dir",
               lambda: run_host([str(wasmkern), "run", "--dir", f"{host}::/data", str(wasm), "/data", str(mib),
                                 str(files)], runs),
               None if wasmkern.exists() else f"no {os.path.relpath(wasmkern, REPO)}")
        column("native, host dir", lambda: run_host([str(native), str(host), str(mib), str(files)], runs))

    out = [f"## Storage (fsbench: {mib} MiB written in 1 MiB calls + fsync, read back and compared; "
           f"{files} files of 100 bytes created + directory fsync)"]
    rows = []
    for label, index, form in ROWS:
        rows.append([label, *[cell(figures, index, form) if figures else instead for _, figures, instead, _ in columns]])
    out.extend("  " + line for line in table(rows, ["", *[name for name, _, _, _ in columns]]))
    out.append(f"  median of {runs} run(s)" + (" (min-max)" if runs > 1 else "") + "; userland/corpus/fsbench.c, "
               "the same program in every column, timed by its own monotonic clock")
    if accel:
        out.append(f"  in the OS: one boot (tools/qemu-run, accelerator: {accel[0]}), a fresh "
                   f"{IMAGE_BYTES >> 20} MiB ext2 image with {IMAGE_BLOCK // 1024} KiB blocks as virtio-blk vda "
                   "(cache=writeback, on the host's file system), the runs one after another in the shell")
    if accel and "kvm" not in accel[0]:
        out.append("  NOTE: without KVM the guest is emulated (TCG): the OS column measures QEMU's emulator as much "
                   "as the kernel, and is not comparable with the host columns")
    out.append(f"  host columns: a fresh directory under the build directory ({fs_type}); "
               "`wasmkern run --dir DIR::/data`, and fsbench built by the host's compiler")
    out.extend(f"  {name}: {instead}: {why}" for name, _, instead, why in columns if why)
    return out, failures
