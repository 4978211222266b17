#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# make install into a scratch DESTDIR, then build a program as a user would,
# with nothing but `pkg-config --cflags --libs shmipc` (dynamic and
# static), point pkg-config at the scratch root with PKG_CONFIG_LIBDIR and
# PKG_CONFIG_SYSROOT_DIR. Also: custom LIBDIR/INCLUDEDIR, uninstall, and
# the installed header on its own in C89, C99, C11 and C++.
# Prints "ok name" / "not ok name" lines for tests/run.sh.

set -u
: "${srcdir:?srcdir must name userspace/ (tests/run.sh exports it)}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
status=0
app="$srcdir/tests/pkgconfig-app.c"

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

# install ROOT PREFIX [VAR=value...]: make install into ROOT.
# (Shell functions share variables: each helper's names are its own.)
install_into() {
	in_root=$1 in_prefix=$2
	shift 2
	$MAKE -s --no-print-directory -C "$srcdir" O="$O" DESTDIR="$in_root" \
		PREFIX="$in_prefix" LIBDIR="$in_prefix/lib" INCLUDEDIR="$in_prefix/include" \
		PKGCONFIGDIR="$in_prefix/lib/pkgconfig" "$@" install
}

# pc ROOT LIBDIR ARGS...: pkg-config on what was installed under ROOT.
pc() {
	pc_root=$1 pc_libdir=$2
	shift 2
	PKG_CONFIG_LIBDIR="$pc_root$pc_libdir/pkgconfig" PKG_CONFIG_PATH='' \
		PKG_CONFIG_SYSROOT_DIR="$pc_root" $PKG_CONFIG "$@" shmipc
}

root="$tmp/root"
usr="/usr/local"
version=$(cat "$srcdir/../VERSION")

installs_files() {
	install_into "$root" "$usr" || return 1
	for f in include/shmipc.h "lib/libshmipc.so.$version" lib/libshmipc.a \
		 lib/libshmipc-preload.so lib/pkgconfig/shmipc.pc \
		 share/man/man3/shmipc_get.3 share/man/man7/shmipc.7; do
		[ -f "$root$usr/$f" ] || { echo "missing $usr/$f"; return 1; }
	done
	[ "$(readlink "$root$usr/lib/libshmipc.so.1")" = "libshmipc.so.$version" ] &&
		[ "$(readlink "$root$usr/lib/libshmipc.so")" = libshmipc.so.1 ]
}

pkg_config_flags() {
	flags=$(pc "$root" "$usr/lib" --cflags --libs) || return 1
	echo "flags: $flags"
	[ "$(pc "$root" "$usr/lib" --modversion)" = "$version" ] &&
		echo " $flags " | grep -q -- " -I$root$usr/include " &&
		echo " $flags " | grep -q -- " -L$root$usr/lib " &&
		echo " $flags " | grep -q -- " -lshmipc "
}

dynamic_app() {
	# shellcheck disable=SC2046 # word splitting of the flags is wanted
	$CC -o "$tmp/app" "$app" $(pc "$root" "$usr/lib" --cflags --libs) || return 1
	readelf -d "$tmp/app" | grep -q 'NEEDED.*\[libshmipc\.so\.1\]' || return 1
	LD_LIBRARY_PATH="$root$usr/lib" "$tmp/app"
}

static_app() {
	# shellcheck disable=SC2046
	$CC -static -o "$tmp/app-static" "$app" \
		$(pc "$root" "$usr/lib" --static --cflags --libs) || return 1
	if readelf -d "$tmp/app-static" | grep -q NEEDED; then
		echo "static program needs shared libraries"
		return 1
	fi
	"$tmp/app-static"
}

custom_dirs() {
	r="$tmp/custom"
	install_into "$r" /opt/shm LIBDIR=/opt/shm/lib64 INCLUDEDIR=/opt/shm/include/shmipc-1 \
		PKGCONFIGDIR=/opt/shm/lib64/pkgconfig || return 1
	# The lines as pkg-config files hold them, variables unexpanded.
	# shellcheck disable=SC2016
	if ! grep -qx 'libdir=${exec_prefix}/lib64' "$r/opt/shm/lib64/pkgconfig/shmipc.pc" ||
		! grep -qx 'includedir=${prefix}/include/shmipc-1' "$r/opt/shm/lib64/pkgconfig/shmipc.pc"; then
		cat "$r/opt/shm/lib64/pkgconfig/shmipc.pc"
		return 1
	fi
	# shellcheck disable=SC2046
	$CC -o "$tmp/app-custom" "$app" $(pc "$r" /opt/shm/lib64 --cflags --libs) &&
		LD_LIBRARY_PATH="$r/opt/shm/lib64" "$tmp/app-custom"
}

libdir_outside_prefix() {
	r="$tmp/outside"
	install_into "$r" /usr/local LIBDIR=/srv/lib PKGCONFIGDIR=/srv/lib/pkgconfig || return 1
	grep -qx 'libdir=/srv/lib' "$r/srv/lib/pkgconfig/shmipc.pc" &&
		[ -f "$r/srv/lib/libshmipc.a" ] && [ -f "$r/usr/local/include/shmipc.h" ]
}

uninstall_removes_all() {
	$MAKE -s --no-print-directory -C "$srcdir" O="$O" DESTDIR="$root" PREFIX="$usr" \
		LIBDIR="$usr/lib" INCLUDEDIR="$usr/include" PKGCONFIGDIR="$usr/lib/pkgconfig" \
		uninstall || return 1
	left=$(find "$root" ! -type d)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

# header_alone COMPILER ARGS...: the installed header as the only include.
header_alone() {
	printf '#include <shmipc.h>\nint main(void) { shmipc_sem_t s = SHMIPC_SEM_INITIALIZER(0); return shmipc_sem_post(&s); }\n' \
		>"$tmp/h.c"
	"$@" -Wall -Wextra -Werror -I"$root$usr/include" -c -o "$tmp/h.o" "$tmp/h.c"
}

header_cxx() {
	cxx=$(command -v c++ || command -v g++ || command -v clang++) || {
		echo "no C++ compiler"; return 1; }
	printf '#include <shmipc.h>\nint main() { shmipc_sem_t s = SHMIPC_SEM_INITIALIZER(0); return shmipc_sem_post(&s); }\n' \
		>"$tmp/h.cc"
	"$cxx" -std=c++11 -Wall -Wextra -Werror -pedantic -I"$root$usr/include" \
		-c -o "$tmp/h.o" "$tmp/h.cc"
}

check install_puts_header_libraries_and_pc_in_place installs_files
check pkg_config_gives_sysroot_flags pkg_config_flags
check pkg_config_builds_dynamic_program_that_runs dynamic_app
check pkg_config_builds_static_program_that_runs static_app
check header_compiles_alone_as_c89 header_alone "$CC" -std=c89 -pedantic
check header_compiles_alone_as_c99 header_alone "$CC" -std=c99 -pedantic
check header_compiles_alone_as_c11 header_alone "$CC" -std=c11 -pedantic
check header_compiles_alone_as_cxx header_cxx
check install_honours_libdir_and_includedir custom_dirs
check install_honours_libdir_outside_prefix libdir_outside_prefix
check uninstall_removes_what_install_put uninstall_removes_all
exit $status
