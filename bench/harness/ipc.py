"""The IPC table of the benchmark harness (issue 15): kernel-object round trips and spawn in
the OS beside the nearest Linux operations, on the host and inside a small Linux guest under
the same QEMU and accelerator. See bench/README.md, "IPC".

Columns:
- in the OS: userland/hostile/ipcbench.c (built by CMake into build/userland), the kernel
  beside --wasmkern booted once by tools/qemu-run, the shell running it --ipc-runs times;
- Linux guest: harness/micro/ipc_linux.c (static) as the program of Debian's cloud kernel
  (/boot/vmlinuz-*-cloud-amd64, package linux-image-cloud-amd64) with a busybox-static
  initramfs written here into the build directory, booted by tools/qemu-run with the
  accelerator the OS boot used (its --accel-cache);
- Linux host: the same static binary run directly;
- wasmkern hosted: `wk-bench xcall`, the engine's call path of a direct call on the real CPU.

bench.py calls build_steps() (ipc_linux and its child are built with the micro-benchmarks)
and measure()."""

import glob
import os
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from sections import Columns, os_unavailable

REPO = Path(__file__).resolve().parent.parent.parent
MICRO = Path(__file__).resolve().parent / "micro"
QEMU_RUN = REPO / "tools" / "qemu-run"
MAKE_INITRD = REPO / "tools" / "make-initrd"

# Per profile: (round trips and direct calls, spawns, kernel calls, runs per column). "full"
# keeps the table near a minute on the loaded 2-core machine, most of it the two emulated boots.
SIZES = {"quick": (300, 30, 5000, 1), "full": (2000, 200, 20000, 3)}
OS_PROGRAMS = ("sh", "poweroff", "ipcbench")
POWEROFF_STATUS = 3
HOST_TIMEOUT_S = 120
# The Linux guest: Debian's cloud kernel (the smallest Debian kernel; 8250 console and ACPI
# power-off built in) and busybox-static for /init's shell and poweroff.
GUEST_KERNELS = "/boot/vmlinuz-*-cloud-amd64"
GUEST_MEMORY = "512M"

LINE = re.compile(r"^ipc: (\w+) (\d+) (\d+)\s*$", re.M)
# (key, what the OS does, what Linux does). The rows in order; Linux has no direct call.
ROWS = [("kernel_call", "wasmkern call that copies nothing (handles)", "getpid system call"),
        ("channel_8", "channel round trip, 8 bytes", "pipe ping-pong, 8 bytes"),
        ("channel_4k", "channel round trip, 4 KiB", "pipe ping-pong, 4 KiB"),
        ("channel_8_handle", "channel round trip, 8 bytes + 1 handle", "Unix socket, 8 bytes + 1 fd"),
        ("direct_call", "direct call round trip, no arguments", None),
        ("spawn", "spawn + wait, trivial program", "posix_spawn + waitpid, static child")]
OS_KEYS = [key for key, _, _ in ROWS]
LINUX_KEYS = [key for key, _, linux in ROWS if linux]


def build_steps(build_dir, cc):
    """(argv, output, inputs) for bench.build(): ipc_linux and its child, static."""
    out = build_dir / "ipc"
    return [([cc, "-O2", "-static", "-Wall", "-Wextra", str(MICRO / "ipc_linux.c"), "-o", str(out / "ipc_linux")],
             out / "ipc_linux", [MICRO / "ipc_linux.c"]),
            ([cc, "-O2", "-static", str(MICRO / "spawn_child.c"), "-o", str(out / "spawn_child")],
             out / "spawn_child", [MICRO / "spawn_child.c"])]


def trivial_module():
    """The OS's spawn child: a module whose _start returns at once (no imports, no memory),
    as close as wasm gets to the static do-nothing child Linux spawns."""
    def section(section_id, payload):
        return bytes([section_id, len(payload)]) + payload
    name = b"_start"
    return (b"\0asm\x01\0\0\0"
            + section(1, bytes([1, 0x60, 0, 0]))  # one type: [] -> []
            + section(3, bytes([1, 0]))  # one function of type 0
            + section(7, bytes([1, len(name)]) + name + bytes([0, 0]))  # export it as a function
            + section(10, bytes([1, 2, 0, 0x0B])))  # its body: no locals, end


def parse(text, runs, expected):
    """{key: [ns per op of each run]} from the lines of `runs` runs, each ending in "ipc: done";
    an "ipc: error" line, fewer runs or a key of `expected` without `runs` figures is an error."""
    error = re.search(r"^ipc: error: .*$", text, re.M)
    if error:
        raise RuntimeError(error.group(0).strip())
    if text.count("ipc: done") != runs:
        tail = " | ".join(text.strip().splitlines()[-4:])[:400]
        raise RuntimeError(f"{text.count('ipc: done')} complete runs of {runs}: {tail!r}")
    found = {}
    for match in LINE.finditer(text):
        found.setdefault(match.group(1), []).append(int(match.group(3)))
    short = [key for key in expected if len(found.get(key, [])) != runs]
    if short:
        raise RuntimeError(f"not {runs} figure(s) of {', '.join(short)} in the output")
    return found


def write_cpio(path, entries):
    """An uncompressed "newc" cpio archive (the kernel's initramfs format) of `entries`:
    (name, mode, bytes or None, (rdev major, minor) or None), directories first."""
    with open(path, "wb") as out:
        def emit(name, mode, data, rdev, inode):
            encoded = name.encode() + b"\0"
            fields = [inode, mode, 0, 0, 1, 0, len(data), 0, 0, *(rdev or (0, 0)), len(encoded), 0]
            header = b"070701" + b"".join(b"%08X" % field for field in fields)
            out.write(header + encoded + b"\0" * (-(len(header) + len(encoded)) % 4))
            out.write(data + b"\0" * (-len(data) % 4))
        for inode, (name, mode, data, rdev) in enumerate(entries, start=1):
            emit(name, mode, data or b"", rdev, inode)
        emit("TRAILER!!!", 0, b"", None, 0)


def guest_kernel():
    found = sorted(glob.glob(GUEST_KERNELS))
    return Path(found[-1]) if found else None


def busybox():
    for candidate in (shutil.which("busybox"), "/bin/busybox"):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    return None


def guest_unavailable():
    if guest_kernel() is None:
        return f"no {GUEST_KERNELS} (tools/setup-deps installs linux-image-cloud-amd64)"
    if busybox() is None:
        return "no busybox (tools/setup-deps installs busybox-static)"
    if shutil.which("qemu-system-x86_64") is None:
        return "qemu-system-x86_64 not found (tools/setup-deps)"
    return None


def run_guest(ipc_dir, work, accel_cache, counts, runs):
    """Boots the Linux guest once; /init runs ipc_linux `runs` times, then powers off."""
    trips, spawns, calls = counts
    command = f"/bench/ipc_linux /bench/spawn_child {trips} {spawns} {calls}"
    init = "#!/bin/busybox sh\n" + f"{command}\n" * runs + "/bin/busybox poweroff -f\n"
    directory, executable, device = 0o040755, 0o100755, 0o020600
    entries = [("dev", directory, None, None), ("dev/console", device, None, (5, 1)), ("bin", directory, None, None),
               ("bench", directory, None, None), ("init", executable, init.encode(), None),
               ("bin/busybox", executable, busybox().read_bytes(), None),
               ("bench/ipc_linux", executable, (ipc_dir / "ipc_linux").read_bytes(), None),
               ("bench/spawn_child", executable, (ipc_dir / "spawn_child").read_bytes(), None)]
    initramfs = work / "initramfs.cpio"
    write_cpio(initramfs, entries)
    # A generous bound: the emulated boot alone takes 5-20 s on the loaded machine.
    timeout = 90 + runs * 30
    try:
        result = subprocess.run([str(QEMU_RUN), "--accel-cache", str(accel_cache), "--timeout", str(timeout),
                                 "--no-debug-exit", "--memory", GUEST_MEMORY, "--initrd", str(initramfs),
                                 "--append", "console=ttyS0 quiet panic=-1", str(guest_kernel())],
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout + 60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RuntimeError(f"tools/qemu-run: {error}")
    transcript = result.stdout.replace("\r\n", "\n")
    if result.returncode != 0:
        tail = " | ".join(transcript.strip().splitlines()[-4:])[:400]
        raise RuntimeError(f"the Linux guest ended with status {result.returncode}: {tail!r}")
    return parse(transcript, runs, LINUX_KEYS)


def run_in_os(kernel, userland, work, accel_cache, counts, runs):
    """Boots the kernel once with an initrd of sh, poweroff, ipcbench and the trivial child;
    the shell runs ipcbench `runs` times, then powers off. Returns (figures, accelerator)."""
    trips, spawns, calls = counts
    stage = work / "programs"
    stage.mkdir()
    for name in OS_PROGRAMS:
        shutil.copyfile(userland / f"{name}.wasm", stage / f"{name}.wasm")
    (stage / "ipc_child.wasm").write_bytes(trivial_module())
    initrd = work / "initrd.tar"
    made = subprocess.run([str(MAKE_INITRD), "--userland", str(stage), str(initrd)], capture_output=True, text=True)
    if made.returncode != 0:
        raise RuntimeError(f"make-initrd: {made.stderr.strip()[:300]}")
    commands = f"/bin/ipcbench /bin/ipc_child {trips} {spawns} {calls}\n" * runs + f"/bin/poweroff {POWEROFF_STATUS}\n"
    timeout = 90 + runs * 60
    try:
        result = subprocess.run([str(QEMU_RUN), "--accel-cache", str(accel_cache), "--timeout", str(timeout),
                                 "--initrd", str(initrd), str(kernel)],
                                input=commands, capture_output=True, text=True, timeout=timeout + 60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RuntimeError(f"tools/qemu-run: {error}")
    transcript = result.stdout.replace("\r\n", "\n")
    if result.returncode != POWEROFF_STATUS:
        tail = " | ".join(transcript.strip().splitlines()[-4:])[:400]
        raise RuntimeError(f"the boot ended with status {result.returncode}, not poweroff's {POWEROFF_STATUS}: {tail!r}")
    accel = accel_cache.read_text().strip() if accel_cache.exists() else "unknown"
    return parse(transcript, runs, OS_KEYS), accel


def run_host(ipc_dir, counts, runs):
    trips, spawns, calls = counts
    text = ""
    for _ in range(runs):
        argv = [str(ipc_dir / "ipc_linux"), str(ipc_dir / "spawn_child"), str(trips), str(spawns), str(calls)]
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=HOST_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise RuntimeError(str(error))
        if result.returncode != 0:
            raise RuntimeError(f"exit status {result.returncode}: {(result.stdout + result.stderr).strip()[-300:]}")
        text += result.stdout
    return parse(text, runs, LINUX_KEYS)


def run_hosted_xcall(wk_bench, calls, runs):
    """`wk-bench xcall`: {direct_call: [ns per call of each run]}."""
    values = []
    for _ in range(runs):
        try:
            result = subprocess.run([str(wk_bench), "xcall", str(calls)], capture_output=True, text=True,
                                    timeout=HOST_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise RuntimeError(str(error))
        match = re.search(r"^ns_per_xcall: ([\d.]+)$", result.stdout, re.M)
        if result.returncode != 0 or not match:
            raise RuntimeError(f"exit status {result.returncode}: {(result.stdout + result.stderr).strip()[-300:]}")
        values.append(float(match.group(1)))
    return {"direct_call": values}


def cell(figures, key):
    values = figures.get(key)
    if not values:
        return "-"
    def form(ns):
        us = ns / 1000
        return f"{us:.3f}" if us < 1 else f"{us:.2f}" if us < 10 else f"{us:.1f}" if us < 1000 else f"{us:.0f}"
    middle = form(statistics.median(values))
    return middle if len(values) == 1 else f"{middle} ({form(min(values))}-{form(max(values))})"


def measure(args, build_dir, table):
    """The IPC section's lines and the failures (a program failed or printed too little; with
    --require-ipc also a column that cannot run). `table` is bench.py's table printer."""
    trips, spawns, calls, runs = SIZES["quick" if args.profile == "quick" else "full"]
    runs = args.ipc_runs or runs
    counts = (trips, spawns, calls)
    ipc_dir = build_dir / "ipc"
    wasmkern = Path(args.wasmkern)
    kernel = wasmkern.parent / "wasmkern.elf"
    userland = wasmkern.parent.parent / "userland"
    accel_cache = build_dir / "qemu-accel"
    table_columns = Columns("ipc", args.require_ipc)
    columns, failures = table_columns.columns, table_columns.failures
    column = table_columns.add
    accel = []


    def in_os():
        figures, chosen = run_in_os(kernel, userland, work, accel_cache, counts, runs)
        accel.append(chosen)
        return figures

    with tempfile.TemporaryDirectory(prefix="ipc-", dir=build_dir) as scratch:
        work = Path(scratch)
        column("Wasmkern in QEMU", in_os, os_unavailable(kernel, userland, OS_PROGRAMS))
        # The guest runs under the accelerator the OS boot chose (qemu-run's probe boots our
        # kernel, not Linux's); without that choice it would not be the same accelerator.
        guest_reason = guest_unavailable() or (None if accel_cache.exists() else
                                               "no accelerator chosen by a boot of the OS (its column did not run)")
        guest_work = work / "guest"
        guest_work.mkdir()
        column("Linux in QEMU", lambda: run_guest(ipc_dir, guest_work, accel_cache, counts, runs), guest_reason)
        column("Linux host", lambda: run_host(ipc_dir, counts, runs))
        wk_bench = Path(args.wk_bench)
        column("wasmkern hosted", lambda: run_hosted_xcall(wk_bench, calls * 10, runs),
               None if wk_bench.exists() else f"no {os.path.relpath(wk_bench, REPO)}")

    out = [f"## IPC (issue 15): microseconds per operation; {trips} round trips or direct calls, "
           f"{spawns} spawns, {calls} kernel calls per run"]
    rows = []
    for key, ours, linux in ROWS:
        cells = [cell(figures, key) if figures else instead for _, figures, instead, _ in columns]
        rows.append([ours, linux or "(no equivalent)", *cells])
    out.extend("  " + line for line in table(rows, ["Wasmkern", "Linux", *[name for name, _, _, _ in columns]]))
    out.append(f"  median of {runs} run(s)" + (" (min-max)" if runs > 1 else "") + ", each timed by the program's own "
               "monotonic clock (the kernel's clock in the OS; wasm has no cycle counter, so no cycles there)")
    out.append("  Wasmkern in QEMU: userland/hostile/ipcbench.c, one boot of the kernel, the shell running it; a channel "
               "round trip is write, the echo process wakes in wait_many, reads, writes back, this side wakes and reads; "
               "a direct call enters the serving process's function on the caller's thread; spawn + wait of a module "
               "whose _start returns (first spawn untimed: it compiles)")
    out.append("  Linux: bench/harness/micro/ipc_linux.c, one static binary: getpid through syscall(2); ping-pong with a "
               "forked echo process over two pipes; 8 bytes + a descriptor each way over a Unix socket pair "
               "(SCM_RIGHTS); posix_spawn + waitpid of a static do-nothing child")
    if accel:
        kernel_name = guest_kernel().name if guest_kernel() else "?"
        out.append(f"  QEMU columns: tools/qemu-run, accelerator: {accel[0]}, 1 vCPU; the Linux guest is Debian's "
                   f"{kernel_name} with a busybox-static initramfs whose /init runs ipc_linux (one boot)")
        if "kvm" not in accel[0]:
            out.append("  NOTE: without KVM both QEMU columns are emulated (TCG): compare them with each other, "
                       "not with the host columns")
    out.append("  wasmkern hosted: `wk-bench xcall`, the engine's path of a direct call (invoke of another store's "
               f"function from a host import, {calls * 10} calls) on the host CPU, without the kernel's gate")
    out.extend(f"  {name}: {instead}: {why}" for name, _, instead, why in columns if why)
    return out, failures
