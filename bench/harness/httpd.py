"""The httpd table of the benchmark harness (issue 19): userland/bin/httpd.c, one server, run
three ways and loaded from the host the same way: the userland's httpd.wasm in the OS (the
kernel booted by tools/qemu-run with QEMU user networking forwarding a host port to guest port
80, the shell starting `--tcplisten 80 httpd`), the same httpd.wasm under `wasmkern run
--tcplisten` on Linux, and httpd.c built natively on Linux (with the few WASI and wasmkern.h
pieces it uses answered by bench/harness/httpd-native/). See bench/README.md, "httpd".

Rows: requests/s of `ab -c 32` for a small file (a connection per request, and keep-alive
with -k) and the MB/s of curl fetching a large file, which is compared with the original.
bench.py calls build_steps() and measure()."""

import filecmp
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from sections import Columns, os_unavailable

REPO = Path(__file__).resolve().parent.parent.parent
HTTPD = REPO / "userland" / "bin" / "httpd.c"
SHIM = Path(__file__).resolve().parent / "httpd-native"
QEMU_RUN = REPO / "tools" / "qemu-run"
MAKE_INITRD = REPO / "tools" / "make-initrd"
TCP_RELAY = REPO / "tools" / "tcp-relay"

# Per profile: requests per ab run, MiB of the large file. "full" keeps the OS column (QEMU
# without KVM: emulated, about 1 MB/s and a few hundred requests/s) near half a minute.
SIZES = {"quick": (500, 4), "full": (2000, 16)}
CONCURRENCY = 32
OS_PROGRAMS = ("sh", "poweroff", "httpd")
POWEROFF_STATUS = 3
READY_TIMEOUT_S = 120
SMALL = "index.html"
SMALL_BODY = "<html><body>hello from wasmkern's httpd</body></html>\n"
LARGE = "large.bin"
ROWS = [("requests/s, ab -c 32, a connection each", "ab"),
        ("requests/s, ab -k -c 32, keep-alive", "ab_keep_alive"),
        ("transfer MB/s, curl, the large file", "curl")]


def build_steps(build_dir, cc):
    """(argv, output, inputs) for bench.build(): httpd.c natively (gnu17 and _GNU_SOURCE for
    accept4, as the userland builds it for wasm32-wasi with wasi-libc)."""
    native = build_dir / "httpd" / "httpd"
    argv = [cc, "-O2", "-Wall", "-Wextra", "-std=gnu17", "-D_GNU_SOURCE", f"-I{SHIM}", str(HTTPD), "-o", str(native)]
    return [(argv, native, [HTTPD, SHIM / "wasmkern.h", SHIM / "wasi" / "api.h"])]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(port, alive, timeout):
    """Until a GET of the small file answers 200; RuntimeError when `alive()` turns false or
    after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("the server ended before it served")
        result = subprocess.run(["curl", "-s", "-o", os.devnull, "-w", "%{http_code}", "--max-time", "5",
                                 f"http://127.0.0.1:{port}/{SMALL}"], capture_output=True, text=True)
        if result.stdout == "200":
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing served on port {port} within {timeout} s")


AB_FIELD = re.compile(r"^(Complete requests|Failed requests|Non-2xx responses|Requests per second):\s+([\d.]+)", re.M)


def ab(port, requests, keep_alive):
    """Requests/s of `ab -n requests -c 32 [-k]` for the small file; RuntimeError when ab fails,
    or any request failed or was not answered 200."""
    argv = ["ab", "-q", "-n", str(requests), "-c", str(CONCURRENCY), "-s", "120", *(["-k"] if keep_alive else []),
            f"http://127.0.0.1:{port}/{SMALL}"]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{' '.join(argv[:-1])}: no result in 600 s")
    fields = {name: float(value) for name, value in AB_FIELD.findall(result.stdout)}
    if result.returncode != 0 or "Requests per second" not in fields:
        raise RuntimeError(f"ab exited with {result.returncode}: {(result.stderr or result.stdout).strip()[-300:]}")
    if fields.get("Complete requests") != requests or fields.get("Failed requests") or fields.get("Non-2xx responses"):
        raise RuntimeError(f"ab{' -k' if keep_alive else ''}: {fields}")
    return fields["Requests per second"]


def curl_speed(port, www, work):
    """MB/s of curl fetching the large file, which must arrive byte-identical."""
    got = work / "got.bin"
    result = subprocess.run(["curl", "-sS", "--max-time", "600", "-o", str(got), "-w", "%{speed_download}",
                             f"http://127.0.0.1:{port}/{LARGE}"], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"curl: {result.stderr.strip()[:300]}")
    same = filecmp.cmp(got, www / LARGE, shallow=False)
    got.unlink()
    if not same:
        raise RuntimeError(f"curl: {LARGE} arrived with other bytes than the original")
    return float(result.stdout) / 1e6


def load(port, www, work, requests, ab_port=None):
    ab_port = ab_port or port
    return {"ab": ab(ab_port, requests, False), "ab_keep_alive": ab(ab_port, requests, True),
            "curl": curl_speed(port, www, work)}


def stop(process):
    if process.poll() is None:
        process.kill()
    process.wait()


def run_native(binary, www, work, requests):
    """httpd built natively, handed a listening socket as wasmkern run and the OS hand theirs."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        port = listener.getsockname()[1]
        # SIGPIPE stays ignored (as Python has it), as a WASI program never gets it.
        server = subprocess.Popen([str(binary), "-q", str(www)], pass_fds=[listener.fileno()], restore_signals=False,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(port, lambda: server.poll() is None, 30)
        return load(port, www, work, requests)
    finally:
        stop(server)


def run_hosted(wasmkern, wasm, www, work, requests):
    port = free_port()
    server = subprocess.Popen([str(wasmkern), "run", "--dir", f"{www}::/srv", "--tcplisten", f"127.0.0.1:{port}",
                               str(wasm), "-q", "/srv"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(port, lambda: server.poll() is None, 30)
        return load(port, www, work, requests)
    finally:
        stop(server)


def run_in_os(kernel, userland, www, work, accel_cache, requests):
    """Boots the kernel with user networking forwarding a free host port to guest port 80 and
    an initrd holding sh, poweroff, httpd and the files (in /home); the shell starts httpd,
    the host loads it, then the shell powers off. Returns (figures, the accelerator)."""
    stage = work / "programs"
    stage.mkdir()
    for name in OS_PROGRAMS:
        shutil.copyfile(userland / f"{name}.wasm", stage / f"{name}.wasm")
    initrd = work / "initrd.tar"
    made = subprocess.run([str(MAKE_INITRD), "--userland", str(stage), "--files", str(www), str(initrd)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        raise RuntimeError(f"make-initrd: {made.stderr.strip()[:300]}")
    port = free_port()
    transcript = work / "transcript"
    with open(transcript, "w") as out:
        qemu = subprocess.Popen([str(QEMU_RUN), "--accel-cache", str(accel_cache), "--timeout", "900",
                                 "--net", f"user,hostfwd=tcp:127.0.0.1:{port}-:80", "--initrd", str(initrd),
                                 str(kernel)], stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, text=True)
    relay = None
    try:
        qemu.stdin.write("--tcplisten 80 httpd -q /home &\n")
        qemu.stdin.flush()
        wait_until_serving(port, lambda: qemu.poll() is None, READY_TIMEOUT_S)
        # ab through tools/tcp-relay (hostfwd's backlog of 1 would stall some of its requests).
        relay = subprocess.Popen([str(TCP_RELAY), str(port)], stdout=subprocess.PIPE, text=True)
        relay_port = int(relay.stdout.readline() or 0)
        if not relay_port:
            raise RuntimeError("tools/tcp-relay did not start")
        figures = load(port, www, work, requests, relay_port)
        stop(relay)
        qemu.stdin.write(f"poweroff {POWEROFF_STATUS}\n")
        qemu.stdin.close()
        status = qemu.wait(timeout=120)
    except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as error:
        stop(qemu)
        if relay:
            stop(relay)
        tail = " | ".join(transcript.read_text(errors="replace").replace("\r", "").strip().splitlines()[-4:])[:400]
        raise RuntimeError(f"{error}; the console's last lines: {tail!r}")
    if status != POWEROFF_STATUS:
        raise RuntimeError(f"the boot ended with status {status}, not poweroff's {POWEROFF_STATUS}")
    accel = accel_cache.read_text().strip() if accel_cache.exists() else "unknown"
    return figures, accel


def make_files(www, mib):
    www.mkdir()
    (www / SMALL).write_text(SMALL_BODY)
    with open(www / LARGE, "wb") as large:
        for _ in range(mib):
            large.write(os.urandom(1 << 20))


def measure(args, build_dir, table):
    """The httpd section's lines and the failures (a request failed, the large file arrived
    wrong; with --require-httpd also a column that cannot run). `table` is bench.py's printer."""
    requests, mib = SIZES["quick" if args.profile == "quick" else "full"]
    requests = args.httpd_requests or requests
    mib = args.httpd_mib or mib
    native = build_dir / "httpd" / "httpd"
    wasmkern = Path(args.wasmkern)
    kernel = wasmkern.parent / "wasmkern.elf"
    userland = wasmkern.parent.parent / "userland"
    wasm = userland / "httpd.wasm"
    table_columns = Columns("httpd", args.require_httpd)
    columns, failures = table_columns.columns, table_columns.failures
    accel = []
    tools = [tool for tool in ("ab", "curl") if shutil.which(tool) is None]
    with tempfile.TemporaryDirectory(prefix="httpd-", dir=build_dir) as scratch:
        work = Path(scratch)
        www = work / "www"
        make_files(www, mib)

        def column(name, measure_it, unavailable=None):
            missing_tools = f"{', '.join(tools)} not found (tools/setup-deps)" if tools else None
            table_columns.add(name, measure_it, unavailable or missing_tools)

        def in_os():
            figures, chosen = run_in_os(kernel, userland, www, work, build_dir / "qemu-accel", requests)
            accel.append(chosen)
            return figures

        column("in the OS", in_os, os_unavailable(kernel, userland, OS_PROGRAMS))
        column("wasmkern run --tcplisten", lambda: run_hosted(wasmkern, wasm, www, work, requests),
               None if wasmkern.exists() and wasm.exists() else f"no {os.path.relpath(wasmkern, REPO)} or httpd.wasm")
        column("native", lambda: run_native(native, www, work, requests))

    out = [f"## httpd (userland/bin/httpd.c; ab -n {requests} -c {CONCURRENCY} on a "
           f"{len(SMALL_BODY)}-byte file, curl on a {mib} MiB one)"]
    rows = [[label, *[f"{figures[key]:.1f}" if figures else instead for _, figures, instead, _ in columns]]
            for label, key in ROWS]
    out.extend("  " + line for line in table(rows, ["", *[name for name, _, _, _ in columns]]))
    out.append("  one run per column, from the host over 127.0.0.1; the large file is compared with the original "
               "after each fetch; ab's failed or non-200 requests fail the table")
    if accel:
        out.append(f"  in the OS: one boot (tools/qemu-run, accelerator: {accel[0]}), the userland's httpd.wasm and "
                   "the files in the initrd (/home), QEMU user networking with hostfwd to guest port 80 (virtio-net)")
        out.append("  NOTE: ab reaches the OS through tools/tcp-relay (Python), which opens a new connection to hostfwd "
                   "when one's first bytes are not acknowledged (hostfwd listens with a backlog of 1; "
                   "docs/networking.md, \"Sockets for programs\"); the relay bounds the OS's ab figures (natively "
                   "behind it httpd answered about 2400 requests/s, 16000 with keep-alive)")
    if accel and "kvm" not in accel[0]:
        out.append("  NOTE: without KVM the guest is emulated (TCG): the OS column measures QEMU's emulator and its "
                   "user networking as much as the kernel, and is not comparable with the host columns")
    out.append("  wasmkern run: the same httpd.wasm, `--dir DIR::/srv --tcplisten`; native: httpd.c by the host's "
               "compiler with bench/harness/httpd-native/ for the two wasmkern.h and WASI pieces it uses")
    out.extend(f"  {name}: {instead}: {why}" for name, _, instead, why in columns if why)
    return out, failures
