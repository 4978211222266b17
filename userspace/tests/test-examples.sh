#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The examples end to end on the host: shmipc-demo-server and
# shmipc-demo-client copy a file and a generated stream between two
# unrelated processes, and shmipc-example runs, all built with
# tests/sysv-shim.c so that they use the kernel's SysV shared memory in
# place of the module (and libshmipc's real semaphores). The static
# examples in bin/ are checked to fail cleanly with ENOSYS here.
# Prints "ok name" / "not ok name" lines for tests/run.sh.

set -u
shim="$O/tests/sysv"
bin="$O/bin"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
status=0

check() {
	name=$1
	shift
	if "$@" >"$tmp/log" 2>&1; then
		echo "ok $name"
	else
		sed 's/^/# /' "$tmp/log"
		echo "not ok $name"
		status=1
	fi
}

# A key of our own: the SysV key space is shared with the whole host.
key=$(( 0x5e000000 + $$ % 0x1000000 ))

# copy SERVER-ARGS -- CLIENT-ARGS: run both, the server in the background.
copy() {
	"$shim/shmipc-demo-server" -t 20 "$key" "$tmp/out" >"$tmp/server.log" 2>&1 &
	server=$!
	"$shim/shmipc-demo-client" -t 20 "$@" >"$tmp/client.log" 2>&1
	client_status=$?
	wait "$server"
	server_status=$?
	cat "$tmp/server.log" "$tmp/client.log"
	[ "$server_status" -eq 0 ] && [ "$client_status" -eq 0 ] &&
		grep -q ': match$' "$tmp/server.log" && grep -q ': match$' "$tmp/client.log"
}

copies_a_file() {
	# Larger than one chunk and not a multiple of it.
	head -c 1000003 /dev/urandom >"$tmp/in" || return 1
	copy "$key" "$tmp/in" && cmp "$tmp/in" "$tmp/out"
}

copies_an_empty_file() {
	: >"$tmp/empty"
	copy "$key" "$tmp/empty" && [ ! -s "$tmp/out" ]
}

copies_a_generated_stream() {
	copy -n 5000000 "$key" && [ "$(wc -c <"$tmp/out")" -eq 5000000 ]
}

keys_by_path_match() {
	"$shim/shmipc-demo-server" -t 20 "$tmp" "$tmp/out" >"$tmp/server.log" 2>&1 &
	server=$!
	echo hello | "$shim/shmipc-demo-client" -t 20 "$tmp" >"$tmp/client.log" 2>&1 &&
		wait "$server" && [ "$(cat "$tmp/out")" = hello ]
}

client_without_server_gives_up() {
	! "$shim/shmipc-demo-client" -t 1 -n 10 "$((key + 1))"
}

server_refuses_an_existing_key() {
	"$shim/shmipc-demo-server" -t 3 "$key" "$tmp/out" >"$tmp/first.log" 2>&1 &
	first=$!
	sleep 0.5
	"$shim/shmipc-demo-server" -t 1 "$key" "$tmp/out2"
	second_status=$?
	# Let the first one finish cleanly, or it waits out its timeout.
	"$shim/shmipc-demo-client" -t 5 -n 1 "$key" >/dev/null
	wait "$first"
	[ "$second_status" -eq 1 ]
}

example_runs() {
	"$shim/shmipc-example" | grep -q 'hello from shared memory'
}

static_examples_report_enosys() {
	[ -e /dev/shmipc ] && { echo "/dev/shmipc exists: not checked"; return 0; }
	for p in shmipc-example shmipc-demo-server shmipc-demo-client; do
		readelf -d "$bin/$p" | grep -q NEEDED && { echo "$p is not static"; return 1; }
	done
	! "$bin/shmipc-example" && "$bin/shmipc-example" 2>&1 | grep -q 'module loaded' &&
		! "$bin/shmipc-demo-server" "$key" "$tmp/x" &&
		! "$bin/shmipc-demo-client" -t 1 "$key" /dev/null &&
		"$bin/shmipc-demo-client" -t 1 "$key" /dev/null 2>&1 | grep -q 'Function not implemented'
}

help_exits_zero() {
	"$bin/shmipc-demo-server" --help | grep -q Usage &&
		"$bin/shmipc-demo-client" --help | grep -q Usage &&
		{ "$bin/shmipc-demo-client" 2>/dev/null; [ $? -eq 2 ]; }
}

check demo_copies_a_file_between_processes copies_a_file
check demo_copies_an_empty_file copies_an_empty_file
check demo_copies_a_generated_stream copies_a_generated_stream
check demo_accepts_a_path_as_key keys_by_path_match
check demo_client_gives_up_without_server client_without_server_gives_up
check demo_server_refuses_a_key_in_use server_refuses_an_existing_key
check example_runs example_runs
check static_examples_fail_cleanly_without_module static_examples_report_enosys
check demo_help_and_usage_errors help_exits_zero
exit $status
