# Wasmkern: the two commands that matter are `make run` and `make test`.
# Both install missing Debian packages first (tools/setup-deps), then build with CMake/Ninja.

BUILD_DIR := build
KERNEL := $(BUILD_DIR)/bin/wasmkern.elf
JOBS ?= 2

.PHONY: all deps configure build boot-build run test iso bench fuzz fuzz-diff clean help

all: build

help:
	@echo "make run     build and boot Wasmkern in QEMU on this terminal (serial console)"
	@echo "             FILES=dir puts dir's files under /home in the initrd"
	@echo "             DISK=path attaches a disk image (default $(BUILD_DIR)/disk.img, made with mke2fs"
	@echo "             -t ext2 when missing, DISK_SIZE big, default 256M) as virtio-blk (vda)"
	@echo "             networking: virtio-net on QEMU user networking (DHCP gives 10.0.2.15), host"
	@echo "             port 8080 forwarded to guest port 80; NET_FORWARD=HOST:GUEST changes it,"
	@echo "             NET=none runs without a network"
	@echo "             SMP=N boots N CPUs (default 2; the kernel logs smp: N CPUs online)"
	@echo "make test    build and run every test (ctest)"
	@echo "make iso     build a GRUB (Multiboot2) ISO: $(BUILD_DIR)/wasmkern.iso"
	@echo "make bench   run the benchmarks side by side and rewrite bench/RESULTS.md"
	@echo "make fuzz    run each fuzzer for 10 minutes (both at once)"
	@echo "make fuzz-diff N=1000  compare N binaryen-generated modules with node (default N=1000)"
	@echo "             TIER=optimized compiles with the optimising tier, TIER=tiered tiers up"
	@echo "             (synchronously, budget 3; default baseline); LAZY=1 compiles each function"
	@echo "             at its first call"
	@echo "make clean   remove $(BUILD_DIR)/"

deps:
	@tools/setup-deps

configure: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then cmake --preset default >/dev/null; fi

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Only what booting needs: the kernel and the initrd with the user programs (no tests, test
# images or benchmark programs; `make test` builds those).
boot-build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target wasmkern.elf initrd

# `make run FILES=dir` puts dir's files under /home in the initrd. DISK=path is the disk
# (virtio-blk, vda); a missing one is made as an empty ext2 image of DISK_SIZE.
DISK ?= $(BUILD_DIR)/disk.img
DISK_SIZE ?= 256M
# NET=user (the default) attaches virtio-net on QEMU user networking with host port
# NET_FORWARD's HOST forwarded to the guest's GUEST (TCP); NET=none attaches no network.
NET ?= user
NET_FORWARD ?= 8080:80
# SMP=N: QEMU's CPU count (-smp N).
SMP ?= 2
ifeq ($(NET),none)
RUN_NET := none
else
RUN_NET := user,hostfwd=tcp::$(word 1,$(subst :, ,$(NET_FORWARD)))-:$(word 2,$(subst :, ,$(NET_FORWARD)))
endif
run: boot-build
	@case "$(NET)" in user|none) ;; *) echo "make run: NET=user or NET=none, not '$(NET)'" >&2; exit 2 ;; esac
	@case "$(NET_FORWARD)" in [0-9]*:[0-9]*) ;; *) echo "make run: NET_FORWARD=HOST:GUEST (port numbers), not '$(NET_FORWARD)'" >&2; exit 2 ;; esac
	@if [ ! -e "$(DISK)" ]; then truncate -s "$(DISK_SIZE)" "$(DISK)" && \
		/sbin/mke2fs -q -F -t ext2 -L wasmkern "$(DISK)" || { rm -f "$(DISK)"; exit 1; }; fi
	@if [ -n "$(FILES)" ]; then tools/make-initrd --userland $(BUILD_DIR)/userland \
		--programs $(BUILD_DIR)/userland/user-programs.txt --files "$(FILES)" \
		--stage $(BUILD_DIR)/initrd $(BUILD_DIR)/initrd.tar; fi
	@net="$(RUN_NET)"; port="$(word 1,$(subst :, ,$(NET_FORWARD)))"; \
	if [ "$(NET)" = user ] && ! python3 -c 'import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("", int(sys.argv[1])))' "$$port" 2>/dev/null; then \
		echo "make run: host port $$port is taken; booting with the network but nothing forwarded (NET_FORWARD=HOST:GUEST picks another port)" >&2; net=user; fi; \
	tools/qemu-run --accel-cache $(BUILD_DIR)/qemu-accel --smp "$(SMP)" --initrd $(BUILD_DIR)/initrd.tar --disk "$(DISK)" --net "$$net" $(KERNEL)

test: build
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

iso: boot-build
	@tools/make-iso $(KERNEL) $(BUILD_DIR)/wasmkern.iso


bench: build
	@python3 bench/harness/bench.py --build-dir $(BUILD_DIR)/bench-programs --wasmkern $(BUILD_DIR)/bin/wasmkern --results bench/RESULTS.md \
		--wasmkern-tier "baseline=--tier baseline" --wasmkern-tier "optimized=--tier optimized" \
		--wasmkern-tier "tiered=--tier tiered"

fuzz: build
	@cmake --build $(BUILD_DIR) --target fuzz

# Differential fuzzing against V8 (docs/difffuzz.md); SEED picks the first seed, TIER the
# compiler tier (baseline or optimized), LAZY=1 lazy compilation.
N ?= 1000
SEED ?= 1
TIER ?= baseline
LAZY ?= 0
fuzz-diff: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target difffuzz_run
	@python3 tests/difffuzz/difffuzz.py --runner $(BUILD_DIR)/bin/difffuzz_run --tier $(TIER) --first-seed $(SEED) \
		--count $(N) --work-dir $(BUILD_DIR)/difffuzz-work-$(TIER)$(if $(filter 1,$(LAZY)),-lazy,) \
		$(if $(filter 1,$(LAZY)),--lazy,)

clean:
	rm -rf $(BUILD_DIR)
