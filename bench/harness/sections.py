"""What the benchmark tables that boot the OS share (storage.py, ipc.py, httpd.py): why a
column cannot run, and the list of columns with the failures it makes."""

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def os_unavailable(kernel, userland, programs, tools=("qemu-system-x86_64",)):
    """Why the kernel cannot be booted with these userland programs, or None."""
    if not kernel.exists():
        return f"no kernel at {os.path.relpath(kernel, REPO)}"
    missing = [name for name in programs if not (userland / f"{name}.wasm").exists()]
    if missing:
        return f"no {', '.join(missing)} in {os.path.relpath(userland, REPO)} (build the userland)"
    for tool in tools:
        if shutil.which(tool) is None:
            return f"{tool} not found (tools/setup-deps)"
    return None


class Columns:
    """One table's columns, each (name, figures or None, what the cells say instead, why),
    and its failures: a column that failed, or one that could not run when `required`."""

    def __init__(self, section, required):
        self.section = section
        self.required = required
        self.columns = []
        self.failures = []

    def add(self, name, measure_it, unavailable=None):
        if unavailable:
            self.columns.append((name, None, "n/a", unavailable))
            if self.required:
                self.failures.append(f"{self.section}: {name}: not measured: {unavailable}")
            return
        try:
            self.columns.append((name, measure_it(), None, None))
        except RuntimeError as error:
            self.columns.append((name, None, "FAILED", str(error)))
            self.failures.append(f"{self.section}: {name}: {error}")
