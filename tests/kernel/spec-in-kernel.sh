#!/usr/bin/env bash
# The spec suite inside the kernel: boots the kernel with the suite's .wast files in its
# initrd and `spec` on its command line, and checks that its final line
# `N passed, N failed, N skipped` equals the hosted run's (`wasmkern wast`) over the same
# files. Usage: spec-in-kernel.sh QEMU_RUN KERNEL WASMKERN SUITE WORKDIR [--tier T --tier-threshold N]
# [qemu-run options...]; with --tier both runs compile in that tier (the kernel through its
# `tier=` and `tier-threshold=` options, with `tier-osr=on`).
set -u
qemu_run=$(realpath "$1") kernel=$(realpath "$2") wasmkern=$(realpath "$3") suite=$4 work=$5
shift 5
kernel_args=spec hosted_args=()
if [[ ${1:-} == --tier ]]; then
    kernel_args="spec tier=$2 tier-threshold=$4 tier-osr=on"
    hosted_args=(--tier "$2" --tier-threshold "$4")
    shift 4
fi
if [[ ! -d $suite ]]; then
    echo "spec-in-kernel: no test suite at $suite"
    exit 77
fi
rm -rf "$work" && mkdir -p "$work/stage/spec" && work=$(realpath "$work") || exit 1

# Every .wast file of the suite, as paths relative to it, in a fixed order.
(cd "$suite" && find . -name '*.wast' -printf '%P\n' | LC_ALL=C sort) > "$work/stage/spec/files.txt"
count=$(wc -l < "$work/stage/spec/files.txt")
(cd "$suite" && tar -cf - -T "$work/stage/spec/files.txt") | tar -xf - -C "$work/stage/spec" || exit 1
tar --format=ustar -C "$work/stage" -cf "$work/initrd.tar" spec || exit 1

summary='^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$'
hosted=$(cd "$work/stage/spec" && "$wasmkern" wast "${hosted_args[@]}" $(cat files.txt) 2>&1 | grep -E "$summary" | tail -1)
echo "hosted:    $hosted ($count scripts)"

"$qemu_run" "$@" --initrd "$work/initrd.tar" --append "$kernel_args" "$kernel" > "$work/serial.log" 2>&1
status=$?
tr -d '\r' < "$work/serial.log" > "$work/serial.txt"
grep -E '^spec: ' "$work/serial.txt" | tail -4
in_kernel=$(grep -E "$summary" "$work/serial.txt" | tail -1)
echo "in kernel: $in_kernel (qemu-run exit status $status)"
if [[ -z $hosted || -z $in_kernel || $hosted != "$in_kernel" ]]; then
    echo "FAIL: the counts differ; the kernel's failure lines:"
    grep -E '\.wast:[0-9]+: ' "$work/serial.txt" | head -40
    tail -20 "$work/serial.txt"
    exit 1
fi
exit 0
