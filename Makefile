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
	stress soak fuzz bench install uninstall clean help

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

# Volume on the debug kernel (KASAN, lockdep, kmemleak): at least SOAK_OPS
# stress operations and SOAK_OPS fuzz iterations (time limits of 2 hours
# each are only a safety net), then the figures; fails if either fell short.
#   make soak [SOAK_OPS=1000000]
SOAK_OPS ?= 1000000
soak: setup
	@REFSLAB_STRESS_OPS='$(SOAK_OPS)' REFSLAB_STRESS_SECONDS=7200 \
		REFSLAB_FUZZ_ITERS='$(SOAK_OPS)' REFSLAB_FUZZ_SECONDS=7200 \
		$(if $(SEED),REFSLAB_FUZZ_SEED='$(SEED)') \
		vm/run.sh debug --mode stress; rc=$$?; \
		vm/figures.sh --mode stress debug; \
		awk -v want='$(SOAK_OPS)' ' \
			/^# stress: [0-9.]+ s, [0-9]+ operations/ { ops = $$5 } \
			/^# fuzz: seed .*iterations in/ { iters = $$5 } \
			END { printf "soak: %d stress operations, %d fuzz iterations (%d each wanted)\n", ops, iters, want; \
				exit !(ops >= want && iters >= want) }' \
			$(BUILD)/debug/stress/results.tap || rc=1; \
		exit $$rc

# Coverage-guided fuzzing on the debug kernel (the module built with KCOV),
# from the corpus in ~/.cache/refslab/fuzz-corpus (or CORPUS=dir), which
# the corpus the run ends with replaces; GUIDE=0 fuzzes at random (the
# corpus stays as it was), for comparison:
#   make fuzz [SECONDS=600] [GUIDE=0] [SEED=N] [CORPUS=dir]
fuzz: setup
	@REFSLAB_FUZZ_SECONDS='$(SECONDS)' REFSLAB_FUZZ_ITERS='$(ITERS)' \
		$(if $(SEED),REFSLAB_FUZZ_SEED='$(SEED)') \
		$(if $(GUIDE),REFSLAB_FUZZ_GUIDE='$(GUIDE)') \
		$(if $(CORPUS),REFSLAB_CORPUS='$(CORPUS)') \
		vm/run.sh debug --mode fuzz

# The benchmark in a VM (2 vCPUs unless SMP=N), its table on the terminal,
# its JSON and plot in build/bench/<kernel>.{json,svg}; under QEMU -icount
# (figures in instructions, deterministic) unless ICOUNT=0 (plain TCG, wall
# time):
#   make bench [KERNEL=stock612] [SMP=N] [ICOUNT=0] [BENCH_ARGS='...']
# One operation's path under ftrace's function_graph instead (bench/README.md):
#   make bench BENCH_ARGS='--trace get+put,create+put'
bench: setup
	@vm/run.sh $(KERNEL) --mode bench $(if $(SMP),--smp $(SMP)) \
		$(if $(filter 0,$(ICOUNT)),--icount off) -- $(BENCH_ARGS)

kernels: setup
	@for k in stock61 stock612 rt debug kcsan; do vm/kernel.sh $$k || exit 1; done

# Install on a real machine (as root; DESTDIR for a staging tree):
#   make install   [KDIR=...] [DESTDIR=] [PREFIX=/usr/local]
#   make uninstall [KDIR=... | KVER=...] [DESTDIR=] [PREFIX=/usr/local]
# install puts
#   - refslab.ko, built against KDIR, where the kernel's modules_install
#     puts an external module: $(DESTDIR)/lib/modules/<kver>/updates/module/
#     (compressed as the kernel's config says), then runs depmod;
#   - the udev rule udev/60-refslab.rules (/dev/refslab 0660, group
#     refslab) into $(DESTDIR)$(UDEVRULESDIR): /lib/udev/rules.d, where
#     installed software puts its rules, so that a file of the same name in
#     /etc/udev/rules.d stays the administrator's override;
#   - with `make -C userspace install`: <linux/refslab.h>, <refslab.h>,
#     librefslab.a, librefslab.so.*, refslab.pc, refslabctl and its man
#     page under $(DESTDIR)$(PREFIX).
# Without DESTDIR it also runs ldconfig (the dynamic linker finds
# /usr/local/lib only through its cache), adds the system group refslab if
# missing and has udev reload its rules.  uninstall removes those files
# (not the group, which may have members) and runs depmod again.  Install
# twice is fine: the second overwrites the first.
#
# <kver> is the release KDIR was built for: UTS_RELEASE, as in vermagic and
# `uname -r`.  include/config/kernel.release is only the fallback: Debian's
# 6.1 headers hold the upstream version there (6.1.N, not 6.1.0-N-amd64).
#
# depmod runs as `depmod <kver>` without DESTDIR; with DESTDIR as `depmod
# -b $(DESTDIR) <kver>` only if $(DESTDIR)/lib/modules/<kver> has that
# kernel's modules.order and modules.builtin (a whole root: chroot, image).
# A staging tree for a package has neither; depmod there would leave index
# files no package ships, so it is skipped and must run on the target.  The
# kernel's own depmod in modules_install is switched off (DEPMOD=true): it
# runs only with a System.map, which Debian's headers lack ("Skipping
# depmod"), and would not follow these rules.  Without a signing
# certificate in KDIR (distribution headers) the module is installed
# unsigned instead of failing to sign; with Secure Boot, use DKMS.
#
# The module is built for installation in a copy of its own,
# build/install-<kernel>/, without the KUnit test module.
PREFIX ?= /usr/local
UDEVRULESDIR ?= /lib/udev/rules.d
UDEV_RULE := 60-refslab.rules
MODINST_DIR := $(patsubst $(BUILD)/host-%,$(BUILD)/install-%,$(HOST_DIR))
KVER ?= $(or $(shell sed -n 's/.*UTS_RELEASE "\(.*\)".*/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null),$(shell \
	cat $(KDIR)/include/config/kernel.release 2>/dev/null))
MODDIR = $(DESTDIR)/lib/modules/$(KVER)
MOD_FILES = $(foreach s,.ko .ko.xz .ko.gz .ko.zst,$(MODDIR)/updates/module/refslab$(s))

define run_depmod
	@if [ -z "$(DESTDIR)" ]; then \
		echo "  DEPMOD  $(KVER)"; \
		PATH="$$PATH:/sbin:/usr/sbin" depmod "$(KVER)"; \
	elif [ -e "$(MODDIR)/modules.order" ] && [ -e "$(MODDIR)/modules.builtin" ]; then \
		echo "  DEPMOD  -b $(DESTDIR) $(KVER)"; \
		PATH="$$PATH:/sbin:/usr/sbin" depmod -b "$(DESTDIR)" "$(KVER)"; \
	else \
		echo "make: depmod skipped: $(MODDIR) has no modules.order and modules.builtin"; \
		echo "  (a staging tree, not a root with that kernel): run 'depmod $(KVER)' on the target"; \
	fi
endef

define check_kver
	@if [ -z "$(KVER)" ]; then \
		echo "make: cannot tell the kernel release of KDIR=$(KDIR)"; \
		echo "  (no include/generated/utsrelease.h there): set KDIR, or KVER=<release>"; \
		exit 1; \
	fi
endef

install:
	@if [ ! -d "$(KDIR)" ]; then \
		echo "make: no kernel build directory at KDIR=$(KDIR); 'make module' lists the installed ones"; \
		exit 1; \
	fi
	$(check_kver)
	@bash -c '. vm/lib.sh && build_module "$(CURDIR)" "$(MODINST_DIR)" "$(KDIR)" CONFIG_REFSLAB_KUNIT_TEST='
	@# A copy compressed otherwise by an earlier install would shadow it.
	rm -f $(MOD_FILES)
	$(MAKE) -C $(KDIR) M=$(MODINST_DIR) modules_install KERNELRELEASE=$(KVER) \
		INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates DEPMOD=true \
		$(if $(wildcard $(KDIR)/certs/signing_key.x509),,CONFIG_MODULE_SIG_ALL=)
	$(run_depmod)
	install -D -m 644 udev/$(UDEV_RULE) $(DESTDIR)$(UDEVRULESDIR)/$(UDEV_RULE)
	$(MAKE) -C userspace install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
	@if [ -z "$(DESTDIR)" ]; then \
		echo "  LDCONFIG"; PATH="$$PATH:/sbin:/usr/sbin" ldconfig; \
		if ! getent group refslab >/dev/null; then \
			echo "  GROUPADD refslab"; groupadd --system refslab; \
		fi; \
		if command -v udevadm >/dev/null && [ -d /run/udev ]; then \
			udevadm control --reload-rules || true; \
			udevadm trigger --action=change --subsystem-match=misc \
				--sysname-match=refslab || true; \
		fi; \
	fi

uninstall:
	$(check_kver)
	rm -f $(MOD_FILES)
	$(run_depmod)
	rm -f $(DESTDIR)$(UDEVRULESDIR)/$(UDEV_RULE)
	$(MAKE) -C userspace uninstall DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
	@if [ -z "$(DESTDIR)" ]; then \
		PATH="$$PATH:/sbin:/usr/sbin" ldconfig; \
		if command -v udevadm >/dev/null && [ -d /run/udev ]; then \
			udevadm control --reload-rules || true; \
		fi; \
		if getent group refslab >/dev/null; then \
			echo "make: the group refslab stays ('groupdel refslab' removes it)"; \
		fi; \
	fi

clean:
	rm -rf $(BUILD)
	@if [ -d userspace ]; then $(MAKE) -C userspace clean; fi

help:
	@echo "make [all]        module (against KDIR=$(KDIR)) and userspace"
	@echo "make module       the module only, built in build/host-<kernel>/"
	@echo "make userspace    librefslab and refslabctl"
	@echo "make setup        install missing Debian packages (idempotent)"
	@echo "make check        the test suite: lint, install+DKMS, 5 kernels, demo, in-tree, rig self-test"
	@echo "make demo         boot Debian's stock 6.12 kernel in QEMU and show refslab working"
	@echo "make lint         checkpatch, sparse + W=1 on the 3 stock kernels, userspace -Werror"
	@echo "make vm-test      VM test run on one kernel: KERNEL=stock61|stock612|rt|debug|kcsan"
	@echo "make rigtest      inject each fault (leak, warn, kunit, skipput, race); every run must fail"
	@echo "make stress       long stress + fuzz run: SECONDS=600 ITERS= SEED= KERNEL=stock612"
	@echo "make soak         debug kernel: >= SOAK_OPS=1000000 stress operations and fuzz iterations"
	@echo "make fuzz         KCOV-guided fuzzing on the debug kernel: SECONDS=600 GUIDE=0 SEED= CORPUS="
	@echo "make bench        the benchmark in a VM, in instructions (icount): KERNEL=stock612 SMP= ICOUNT=0 BENCH_ARGS="
	@echo "make install      module (KDIR), depmod, udev rule, headers, library, refslabctl: DESTDIR= PREFIX=/usr/local"
	@echo "make uninstall    remove what make install put there (same KDIR or KVER=, DESTDIR=, PREFIX=)"
	@echo "make kernels      fetch the stock kernels (rt too), build the debug and kcsan kernels (cached)"
	@echo "make clean        remove build/ (the kernel cache in ~/.cache/refslab stays)"
	@echo "make help         this list"
