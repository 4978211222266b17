# SPDX-License-Identifier: GPL-2.0
#
# shmipc: the module, libshmipc, the selftests and the VM test runs.
# The module itself is built by Kbuild (see Kbuild); this file drives
# everything around it. Everything generated goes under build/.
#
#   make                 module for KVER, library, tools, selftests
#   make demo            boot a VM and show two processes sharing memory
#   make check           host tests + every selftest on every supported kernel
#   make check-host      the host tests alone: check-lib, check-man and deb
#   make check-man       lint the man pages, match them to the exports
#   make check-debug     the reliability tier on the debug kernel (KASAN,
#                        lockdep, kmemleak, fault injection, coverage)
#   make coverage        check-debug's coverage report of module/
#   make stress          10^6 stress operations and fuzz calls on 6.12
#   make check-all       check, check-debug and stress, one summary line
#   make install         library, header, pkg-config file, tools and man
#                        pages (PREFIX, DESTDIR, MANDIR)
#   make deb             the Debian packages into build/deb, lintian-checked
#   make install-test    install them in a fresh Debian 12 root with apt,
#                        boot it in a VM, check the module, device, library
#                        and their removal (DEBS=dir: test those packages)
#   make lint            checkpatch and sparse on module/ and uapi/
#   make bench           shmipc_bench on every supported kernel, no debug
#                        options (bench/, scripts/bench)
#
# KVER picks the kernel to build the module for (default: the newest one
# whose headers are installed); KVERS the kernels `make check` runs on
# (default: scripts/kernels); DEBUG_KVER the debug kernel of check-debug
# (default: the one in ../shared/debug-kernel, or one built by
# scripts/build-debug-kernel); STRESS_KVER the kernel of `make stress`
# (default: 6.12).

TOP := $(CURDIR)
BUILD := $(TOP)/build
KVER ?= $(shell ls -v /lib/modules 2>/dev/null | while read v; do \
	  [ -e /lib/modules/$$v/build ] && echo $$v; done | tail -n 1)


.PHONY: all deps module userspace selftests bench-bin bench install check \
	check-host check-lib check-man check-debug coverage stress check-all demo \
	lint clean deb install-test

all: module userspace selftests bench-bin

deps:
	@scripts/install-deps

module:
	@scripts/build-module $(KVER) >/dev/null

userspace:
	$(MAKE) -C userspace O=$(BUILD)/userspace

# The selftests twice: as x86-64 programs, and as i386 ones (the module's
# compat ioctls) against an i386 build of the library; with each, the
# library's data-path tests for the VMs (userspace/Makefile's vmtests).
selftests: userspace
	$(MAKE) -C selftests O=$(BUILD)/selftests
	$(MAKE) -C userspace O=$(BUILD)/userspace vmtests
	$(MAKE) -C userspace O=$(BUILD)/userspace32 CC='$(CC) -m32' \
		$(BUILD)/userspace32/lib/libshmipc.a vmtests
	$(MAKE) -C selftests O=$(BUILD)/selftests32 M32=1 \
		LIBSHMIPC=$(BUILD)/userspace32/lib/libshmipc.a

# The benchmark program; `make bench` runs it in VMs.
bench-bin: userspace
	$(MAKE) -C bench O=$(BUILD)/bench

bench: deps
	@scripts/bench $(addprefix --kernel ,$(KVERS))

install:
	$(MAKE) -C userspace O=$(BUILD)/userspace install

# The host part of `make check`, which counts each of them by its own
# summary line (scripts/check).
check-host: check-lib check-man deb

check-lib: userspace
	$(MAKE) -s -C userspace O=$(BUILD)/userspace check

check-man: userspace
	@scripts/check-man

deb: deps
	@scripts/deb

install-test: deps
	@scripts/check-install $(if $(DEBS),--debs $(DEBS))

check: deps
	@scripts/check $(KVERS)

check-debug: deps
	@scripts/check-debug $(DEBUG_KVER)

coverage: deps
	@scripts/coverage

stress: deps
	@scripts/stress $(STRESS_KVER)

check-all: deps
	@scripts/check-all

demo: deps
	@scripts/demo $(KVER)

lint:
	@scripts/lint

clean:
	rm -rf $(BUILD)
