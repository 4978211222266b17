#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# shmcp end to end on the host: the tool built with tests/sysv-shim.c, so
# that its segment is one of the kernel's SysV ones. Files of 0, 1, a page
# and either side, and 20 MiB, started in either order; a killed peer
# reported, not waited on; no segment left behind.
# Prints "ok name" / "not ok name" lines for tests/run.sh.

set -u
shmcp="$O/tests/sysv/shmcp"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
status=0
# A key of our own: the SysV key space is shared with the whole host.
key=$(( 0x5c000000 + $$ % 0x1000000 ))

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

# No SysV segment of our key is left.
no_segment() {
	! ipcs -m | awk '{ print $1 }' | grep -qix "$(printf '0x%08x' "$key")"
}

# copy BYTES ORDER: a file of BYTES random bytes, sender or receiver first.
copy() {
	head -c "$1" /dev/urandom >"$tmp/in" || return 1
	rm -f "$tmp/out"
	if [ "$2" = recv-first ]; then
		"$shmcp" recv -k "$key" -s 65536 "$tmp/out" & other=$!
		sleep 0.2
		"$shmcp" send -k "$key" -s 65536 "$tmp/in" || return 1
	else
		"$shmcp" send -k "$key" -s 65536 "$tmp/in" & other=$!
		sleep 0.2
		"$shmcp" recv -k "$key" -s 65536 "$tmp/out" || return 1
	fi
	wait "$other" && cmp "$tmp/in" "$tmp/out" && no_segment
}

copies_small_files() {
	for n in 0 1 4095 4096 4097; do
		copy "$n" send-first || { echo "$n bytes, sender first"; return 1; }
		copy "$n" recv-first || { echo "$n bytes, receiver first"; return 1; }
	done
}

copies_20_mib_through_stdin_and_stdout() {
	head -c 20971519 /dev/urandom >"$tmp/in" || return 1
	"$shmcp" send -k "$key" - <"$tmp/in" & sender=$!
	"$shmcp" recv -k "$key" - >"$tmp/out" || return 1
	wait "$sender" && cmp "$tmp/in" "$tmp/out" && no_segment
}

# The receiver is killed while the sender waits on a full segment: the
# receiver writes to a fifo that a reader holds open and never reads, so
# both block once the fifo and the segment are full.
reports_a_killed_receiver() {
	head -c 1000000 /dev/urandom >"$tmp/in" || return 1
	mkfifo "$tmp/fifo" || return 1
	# shellcheck disable=SC2217 # opening the fifo is the point: it never reads
	sleep 30 <"$tmp/fifo" & reader=$!
	"$shmcp" recv -k "$key" -s 65536 "$tmp/fifo" & receiver=$!
	"$shmcp" send -k "$key" -s 65536 "$tmp/in" 2>"$tmp/err" & sender=$!
	sleep 0.5
	kill -KILL "$receiver"
	start=$(date +%s%N)
	wait "$sender"
	sender_status=$?
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	kill "$reader"
	wait "$reader"
	cat "$tmp/err"
	echo "sender exited $sender_status after $took ms"
	[ "$sender_status" -eq 1 ] && [ "$took" -lt 2000 ] &&
		grep -qx 'shmcp: the receiver died' "$tmp/err" && no_segment
}

usage_errors_exit_2() {
	"$shmcp" --help | grep -q Usage || return 1
	"$shmcp" 2>/dev/null; [ $? -eq 2 ] || return 1
	"$shmcp" copy x 2>/dev/null; [ $? -eq 2 ] || return 1
	"$shmcp" send 2>/dev/null; [ $? -eq 2 ] || return 1
	"$shmcp" send -k nonsense x 2>"$tmp/err"; [ $? -eq 1 ] && grep -q '^shmcp: bad key' "$tmp/err"
}

missing_file_is_one_line_error() {
	"$shmcp" send -k "$key" "$tmp/no-such-file" 2>"$tmp/err"
	[ $? -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q '^shmcp: ' "$tmp/err" &&
		no_segment
}

check shmcp_copies_small_files_in_either_order copies_small_files
check shmcp_copies_20_mib_through_stdin_and_stdout copies_20_mib_through_stdin_and_stdout
check shmcp_sender_reports_a_killed_receiver reports_a_killed_receiver
check shmcp_usage_errors_exit_2 usage_errors_exit_2
check shmcp_missing_file_is_a_one_line_error missing_file_is_one_line_error
exit $status
