#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# libshmipc-preload.so under an unmodified SysV program (tests/sysv-app,
# built without any of libshmipc): which library its calls bind to, and
# where they go. tests/libshmipc-preload-fake.so is the same preload on
# the fake device, whose fake module logs each ioctl to $SHMIPC_FAKE_LOG;
# the kernel's own SysV is the host's. Prints "ok name" / "not ok name"
# lines for tests/run.sh.

set -u
tmp=$(mktemp -d) || exit 1
app="$O/tests/sysv-app"
real="$O/lib/libshmipc-preload.so"
fake="$O/tests/libshmipc-preload-fake.so"
log="$tmp/ioctls"
# A key of this run's own, and /proc/sysvipc/shm's spelling of it.
key=$((0x5a000000 + $$ % 65536))
status=0

cleanup() {
	# A failed test may leave its segment in the kernel's SysV.
	SHMIPC_PRELOAD=off LD_PRELOAD="$real" "$app" read "$key" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

check() {
	name=$1
	shift
	: >"$log"
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok $name"
	else
		sed 's/^/# /' "$tmp/out"
		[ -s "$log" ] && sed 's/^/# ioctl: /' "$log"
		echo "not ok $name"
		status=1
	fi
}

# on_fake [VAR=value...] ARGS...: sysv-app under the fake preload.
on_fake() {
	env SHMIPC_FAKE_LOG="$log" LD_PRELOAD="$fake" "$@"
}

in_sysv() {
	awk -v k="$key" '$1 == k { found = 1 } END { exit !found }' /proc/sysvipc/shm
}

binds_to_preload() {
	LD_DEBUG=bindings LD_PRELOAD="$real" "$app" roundtrip >"$tmp/bindings" 2>&1 || return 1
	for f in shmget shmat shmdt shmctl; do
		grep -q "binding file .*sysv-app .* to .*/libshmipc-preload\.so .*symbol \`$f'" \
			"$tmp/bindings" || { echo "$f not bound to the preload"; return 1; }
	done
}

calls_reach_library() {
	on_fake "$app" roundtrip || return 1
	# GET, AT, IPC_STAT (2), DT, IPC_RMID (0), in the program's order.
	printf 'GET 0 8192\nAT 7\nCTL 7 2\nDT\nCTL 7 0\n' | diff - "$log"
}

segment_is_not_sysv() {
	on_fake "$app" create "$key" || return 1
	grep -q "^GET $key 4096\$" "$log" || return 1
	! grep -q SYSV "$tmp/out" && ! in_sysv
}

unsupported_ctl_stays_on_shmipc() {
	on_fake "$app" info || return 1
	grep -qx 'info: -1 Invalid argument' "$tmp/out" && grep -qx 'CTL 0 3' "$log"
}

off_uses_kernel_sysv() {
	on_fake SHMIPC_PRELOAD=off "$app" create "$key" || return 1
	grep -q 'maps: .*/SYSV' "$tmp/out" && in_sysv || return 1
	on_fake SHMIPC_PRELOAD=off "$app" read "$key" || return 1
	grep -qx 'read: written by sysv-app' "$tmp/out" && ! in_sysv && [ ! -s "$log" ]
}

missing_module_falls_back_to_sysv() {
	on_fake SHMIPC_FAKE_NO_DEVICE=1 "$app" create "$key" || return 1
	grep -q 'maps: .*/SYSV' "$tmp/out" && in_sysv || return 1
	on_fake SHMIPC_FAKE_NO_DEVICE=1 "$app" read "$key" && [ ! -s "$log" ]
}

on_without_module_is_enosys() {
	! on_fake SHMIPC_PRELOAD=on SHMIPC_FAKE_NO_DEVICE=1 "$app" roundtrip &&
		grep -q 'shmget: Function not implemented' "$tmp/out"
}

real_preload_without_module_uses_sysv() {
	LD_PRELOAD="$real" "$app" create "$key" || return 1
	grep -q 'maps: .*/SYSV' "$tmp/out" && in_sysv || return 1
	LD_PRELOAD="$real" "$app" read "$key"
}

if [ ! -r /proc/sysvipc/shm ]; then
	echo "ok preload_tests # SKIP no /proc/sysvipc/shm: no SysV shared memory here"
	exit 0
fi
check program_binds_its_four_calls_to_the_preload binds_to_preload
check preloaded_calls_reach_the_library calls_reach_library
check preloaded_segment_is_not_a_sysv_segment segment_is_not_sysv
check preloaded_unsupported_shmctl_stays_on_shmipc unsupported_ctl_stays_on_shmipc
check preload_off_uses_the_kernels_sysv off_uses_kernel_sysv
check preload_without_module_falls_back_to_sysv missing_module_falls_back_to_sysv
check preload_on_without_module_is_enosys on_without_module_is_enosys
if [ -e /dev/shmipc ]; then
	echo "ok real_preload_without_module_uses_sysv # SKIP /dev/shmipc exists"
else
	check real_preload_without_module_uses_sysv real_preload_without_module_uses_sysv
fi
exit $status
