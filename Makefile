# SPDX-License-Identifier: GPL-2.0
#
# refslab: user-facing targets.  The kernel build itself is described by
# Kbuild; this file only drives it and the test rig in vm/.
#
# `make` builds the module against KDIR (default: the running kernel's
# headers) in a copy under build/, so the source tree stays clean, plus the
# userspace programs.  `make help` lists every target.

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNEL ?= stock612
BUILD := $(CURDIR)/build
HOST_DIR := $(BUILD)/host-$(notdir $(patsubst %/build,%,$(patsubst %/,%,$(KDIR))))

.PHONY: all module userspace setup check demo lint vm-test rigtest kernels \
	stress bench clean help

all: module userspace

module:
	@if [ ! -d "$(KDIR)" ]; then \
		echo "make: no kernel build directory at KDIR=$(KDIR)."; \
		echo "  The running kernel has no headers here; build against one that has:"; \
		for d in /lib/modules/*/build; do \
			[ -d "$$d" ] && echo "    make KDIR=$$d"; \
		done; \
		echo "  (or run 'make setup' to install Debian's stock headers)"; \
		exit 1; \
	fi
	@bash -c '. vm/lib.sh && build_module "$(CURDIR)" "$(HOST_DIR)" "$(KDIR)"'
	@find "$(HOST_DIR)" -name '*.ko' -printf 'built %p\n'

userspace:
	@if [ -d userspace ]; then $(MAKE) -C userspace; \
	else echo "make: no userspace/ yet"; fi

setup:
	@vm/setup.sh

check:
	@vm/check.sh

demo: setup
	@vm/run.sh stock612 --mode demo

lint: setup
	@vm/lint.sh

vm-test: setup
	@vm/run.sh $(KERNEL)

rigtest: setup
	@vm/rigtest.sh

# A long race stress and fuzz run, in a VM of its own with 4 vCPUs:
#   make stress [SECONDS=600] [ITERS=N] [SEED=N] [KERNEL=stock612]
# The stress runs SECONDS; the fuzzer runs ITERS iterations (default: as
# many as fit in SECONDS).
SECONDS ?= 600
ITERS ?= 1000000000
stress: setup
	@REFSLAB_STRESS_SECONDS='$(SECONDS)' REFSLAB_FUZZ_SECONDS='$(SECONDS)' \
		REFSLAB_FUZZ_ITERS='$(ITERS)' $(if $(SEED),REFSLAB_FUZZ_SEED='$(SEED)') \
		vm/run.sh $(KERNEL) --mode stress; rc=$$?; \
		vm/figures.sh --mode stress $(KERNEL); exit $$rc

# The benchmark in a VM (2 vCPUs unless SMP=N), its table on the terminal,
# its JSON and plot in build/bench/<kernel>.{json,svg}:
#   make bench [KERNEL=stock612] [SMP=N] [BENCH_ARGS='...']
bench: setup
	@vm/run.sh $(KERNEL) --mode bench $(if $(SMP),--smp $(SMP)) -- $(BENCH_ARGS)

kernels: setup
	@for k in stock61 stock612 debug; do vm/kernel.sh $$k || exit 1; done

clean:
	rm -rf $(BUILD)
	@if [ -d userspace ]; then $(MAKE) -C userspace clean; fi

help:
	@echo "make [all]        module (against KDIR=$(KDIR)) and userspace"
	@echo "make module       the module only, built in build/host-<kernel>/"
	@echo "make userspace    librefslab and refslabctl"
	@echo "make setup        install missing Debian packages (idempotent)"
	@echo "make check        setup, lint, VM tests on stock61/stock612/debug, rig self-test"
	@echo "make demo         boot Debian's stock 6.12 kernel in QEMU and show refslab working"
	@echo "make lint         checkpatch, sparse + W=1 on both stock kernels, userspace -Werror"
	@echo "make vm-test      VM test run on one kernel: KERNEL=stock61|stock612|debug"
	@echo "make rigtest      inject each fault (leak, warn, kunit, skipput); every run must fail"
	@echo "make stress       long stress + fuzz run: SECONDS=600 ITERS= SEED= KERNEL=stock612"
	@echo "make bench        the benchmark in a VM: KERNEL=stock612 SMP= BENCH_ARGS="
	@echo "make kernels      fetch the stock kernels and build the debug kernel (cached)"
	@echo "make clean        remove build/ (the kernel cache in ~/.cache/refslab stays)"
	@echo "make help         this list"
