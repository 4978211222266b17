#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What the built libraries show the world: the shared library exports
# exactly the functions the public header declares, each at the version
# node of libshmipc.map that names it (SHMIPC_1.1 and later name theirs)
# or else at SHMIPC_1.0, under soname libshmipc.so.1, needing only libc; the static
# library defines no global symbol outside shmipc_* and libshmipc_*;
# libshmipc-preload.so exports shmget, shmat, shmdt, shmctl and fopen alone,
# unversioned, and needs only libc.
# Prints "ok name" / "not ok name" lines for tests/run.sh.

set -u
: "${srcdir:?srcdir must name userspace/ (tests/run.sh exports it)}"
lib="$O/lib"
version=$(cat "$srcdir/../VERSION")
so="$lib/libshmipc.so.$version"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
status=0

# check NAME COMMAND...: one result line, from the command's status.
check() {
	name=$1
	shift
	if "$@"; then
		echo "ok $name"
	else
		echo "not ok $name"
		status=1
	fi
}

# Print FILE as "# PREFIX line" diagnostics and fail if it is not empty.
empty_or_show() {
	[ -s "$1" ] || return 0
	sed "s/^/# $2/" "$1"
	return 1
}

# Defined dynamic symbols, as name@@VERSION (binutils 2.40 and later show
# versions by default, older ones with --with-symbol-versions).
exported_functions() {
	nm -D --defined-only --with-symbol-versions "$so" | awk '$2 != "A" { print $3 }'
}

exports_match_header() {
	# "type name(" at the start of a line: the declarations.
	sed -n 's/^[a-z].*[ *]\(shmipc_[a-z_]*\)(.*/\1/p' "$srcdir/include/shmipc.h" |
		sort -u >"$tmp/declared"
	[ -s "$tmp/declared" ] || return 1
	exported_functions | sed 's/@.*//' | sort -u >"$tmp/exported"
	diff "$tmp/declared" "$tmp/exported" >"$tmp/diff"
	empty_or_show "$tmp/diff" ""
}

# name@@NODE for each name a node of the map lists by name.
named_in_map() {
	awk '/^SHMIPC_[0-9.]+ *\{/ { node = $1 }
	     node && $1 ~ /^shmipc_[a-z_]+;$/ { sub(/;/, "", $1); print $1 "@@" node }' \
		"$srcdir/libshmipc.map"
}

exports_are_versioned() {
	named_in_map >"$tmp/named"
	[ -s "$tmp/named" ] || return 1
	exported_functions | while read -r sym; do
		if grep -qx -- "${sym%@@*}@@[^ ]*" "$tmp/named"; then
			grep -qx -- "$sym" "$tmp/named" || echo "$sym"
		elif [ "${sym#*@@}" != SHMIPC_1.0 ]; then
			echo "$sym"
		fi
	done >"$tmp/unversioned"
	empty_or_show "$tmp/unversioned" "not at its node: "
}

soname_is_major_version() {
	readelf -d "$so" | grep -q 'Library soname: \[libshmipc\.so\.1\]'
}

symlinks_chain() {
	[ "$(readlink "$lib/libshmipc.so.1")" = "libshmipc.so.$version" ] &&
		[ "$(readlink "$lib/libshmipc.so")" = libshmipc.so.1 ]
}

needs_only_libc() {
	readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -vx 'libc\.so\.6' >"$tmp/needed"
	empty_or_show "$tmp/needed" "needs: "
}

static_globals_in_namespace() {
	nm -g --defined-only "$lib/libshmipc.a" | awk 'NF == 3 { print $3 }' |
		grep -v -e '^shmipc_' -e '^libshmipc_' >"$tmp/stray"
	empty_or_show "$tmp/stray" "stray global: "
}

preload_exports_the_sysv_functions_and_fopen() {
	nm -D --defined-only --with-symbol-versions "$lib/libshmipc-preload.so" |
		awk '$2 != "A" { print $3 }' | sort >"$tmp/preload"
	# Unversioned, so that they stand in for glibc's versioned ones.
	printf 'fopen\nshmat\nshmctl\nshmdt\nshmget\n' | diff - "$tmp/preload" >"$tmp/diff"
	empty_or_show "$tmp/diff" ""
}

preload_needs_only_libc() {
	readelf -d "$lib/libshmipc-preload.so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
		grep -vx 'libc\.so\.6' >"$tmp/needed"
	empty_or_show "$tmp/needed" "needs: "
}

check shared_library_exports_exactly_the_declared_functions exports_match_header
check shared_library_exports_are_at_their_map_nodes exports_are_versioned
check shared_library_soname_is_libshmipc_so_1 soname_is_major_version
check development_symlinks_point_down_the_chain symlinks_chain
check shared_library_needs_only_libc needs_only_libc
check static_library_globals_stay_in_namespace static_globals_in_namespace
check preload_exports_exactly_the_four_sysv_functions_unversioned preload_exports_the_sysv_functions_and_fopen
check preload_needs_only_libc preload_needs_only_libc
exit $status
