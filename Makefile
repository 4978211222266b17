# SPDX-License-Identifier: GPL-2.0
#
# shmipc: the module, libshmipc, the selftests and the VM test runs.
# The module itself is built by Kbuild (see Kbuild); this file drives
# everything around it. Everything generated goes under build/.
#
#   make                 module for KVER, library, tools, selftests
#   make demo            boot a VM and show two processes sharing memory
#   make check           host tests + every selftest on every supported kernel
#   make install         library, header and pkg-config file (PREFIX, DESTDIR)
#   make lint            checkpatch and sparse on module/ and uapi/
#
# KVER picks the kernel to build the module for (default: the newest one
# whose headers are installed); KVERS the kernels `make check` runs on
# (default: scripts/kernels).

TOP := $(CURDIR)
BUILD := $(TOP)/build
KVER ?= $(shell ls -v /lib/modules 2>/dev/null | while read v; do \
	  [ -e /lib/modules/$$v/build ] && echo $$v; done | tail -n 1)


.PHONY: all deps module userspace selftests install check check-host \
	demo lint clean

all: module userspace selftests

deps:
	@scripts/install-deps

module:
	@scripts/build-module $(KVER) >/dev/null

userspace:
	$(MAKE) -C userspace O=$(BUILD)/userspace

selftests: userspace
	$(MAKE) -C selftests O=$(BUILD)/selftests

install:
	$(MAKE) -C userspace O=$(BUILD)/userspace install

check-host: userspace
	$(MAKE) -s -C userspace O=$(BUILD)/userspace check

check: deps
	@scripts/check $(KVERS)

demo: deps
	@scripts/demo $(KVER)

lint:
	@scripts/lint

clean:
	rm -rf $(BUILD)
