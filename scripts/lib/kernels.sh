# shellcheck shell=bash
# Where the kernels we test come from, resolved at run time: package
# versions move, so no version is ever written down.
# Needs TOP (the repository's top directory) set by the caller.

# Newest installed Debian kernel of a series, e.g. "6.1" -> 6.1.0-56-amd64.
# The trailing dot in the glob keeps 6.1 from matching 6.12.
newest_host_kernel() {
	local series=$1 img newest=""
	for img in /boot/vmlinuz-"$series".*; do
		[ -e "$img" ] || continue
		newest=$(printf '%s\n%s\n' "$newest" "${img#/boot/vmlinuz-}" |
			sort -V | tail -n 1)
	done
	[ -n "$newest" ] || return 1
	echo "$newest"
}

# The sid chroot's kernel, written by scripts/sid-chroot; fails if none.
sid_kernel() {
	local f=$TOP/build/sid/KVER
	[ -s "$f" ] || return 1
	head -n 1 "$f"
}

# The debug kernel of `make check-debug`, newest version first: one under
# build/debug-kernel (unpacked by scripts/build-module, or built by
# scripts/build-debug-kernel), or an archive in ../shared/debug-kernel
# that scripts/build-module unpacks. Fails if there is none.
debug_kernel() {
	local f v newest=""
	for f in "$TOP"/build/debug-kernel/linux-*-shmipc-debug/bzImage \
		"$TOP"/../shared/debug-kernel/linux-*-shmipc-debug.tar.xz \
		/work/shared/debug-kernel/linux-*-shmipc-debug.tar.xz; do
		[ -e "$f" ] || continue
		v=${f%/bzImage}
		v=${v%.tar.xz}
		v=${v##*/linux-}
		newest=$(printf '%s\n%s\n' "$newest" "$v" | sort -V | tail -n 1)
	done
	[ -n "$newest" ] || return 1
	echo "$newest"
}

# Turn a short name into a full version: "6.1", "6.12", "sid" are the
# kernels `make check` uses, "debug" the one of `make check-debug`;
# anything else is taken as a full version.
resolve_kernel() {
	case $1 in
	sid) sid_kernel ;;
	debug) debug_kernel ;;
	[0-9].[0-9] | [0-9].[0-9][0-9]) newest_host_kernel "$1" ;;
	*) echo "$1" ;;
	esac
}

# The bootable image of a kernel version. Every source of kernels is one
# line here; add new ones in the order they should win.
kernel_image() {
	local ver=$1 img
	for img in \
		"/boot/vmlinuz-$ver" \
		"$TOP/build/sid/root/boot/vmlinuz-$ver"; do
		[ -f "$img" ] && { echo "$img"; return 0; }
	done
	case $ver in
	*-shmipc-debug)
		img=$TOP/build/debug-kernel/linux-$ver/bzImage
		[ -f "$img" ] && { echo "$img"; return 0; } ;;
	esac
	return 1
}

# True if version $1 is at least major $2, minor $3. Decided by number,
# so a sid or self-built kernel gets the same treatment as Debian's.
kver_at_least() {
	local major minor rest
	major=${1%%.*}
	rest=${1#*.}
	minor=${rest%%[!0-9]*}
	case $major$minor in '' | *[!0-9]*) return 1 ;; esac
	[ "$major" -gt "$2" ] || { [ "$major" -eq "$2" ] && [ "$minor" -ge "$3" ]; }
}
