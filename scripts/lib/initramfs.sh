# shellcheck shell=bash
# Building the test VM's initramfs: a cached busybox base plus a small
# per-run archive, concatenated (the kernel unpacks one after the other).
# Needs TOP set by the caller.

# Pack directory $1 into the gzip'd newc cpio $2. Sorted names and owner
# root keep the archive independent of the host's users.
pack_cpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$2"
}

# The part that changes only with busybox: the static busybox, its
# applets as links in /bin only (a busybox `timeout` elsewhere on PATH
# breaks run_kselftest.sh), the empty mount points and a minimal /etc.
make_base_cpio() {
	local out=$1 stage applet
	stage=$(mktemp -d "$out.XXXXXX")
	mkdir -p "$stage"/{bin,dev,proc,sys,tmp,work,root,etc,opt/shmipc}
	cp /bin/busybox "$stage/bin/busybox"
	for applet in $(/bin/busybox --list); do
		[ "$applet" = busybox ] || ln -s busybox "$stage/bin/$applet"
	done
	# Tests that switch users look names up; nobody is the usual target.
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' \
		>"$stage/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$stage/etc/group"
	pack_cpio "$stage" "$out.tmp.$$"
	rm -rf "$stage"
	# Renamed into place so a parallel run never reads half an archive.
	mv "$out.tmp.$$" "$out"
}

# Rebuild the cached base only when busybox or this file is newer.
base_cpio() {
	local out=$1
	if [ ! -s "$out" ] || [ /bin/busybox -nt "$out" ] ||
		[ "${BASH_SOURCE[0]}" -nt "$out" ]; then
		make_base_cpio "$out"
	fi
}

# Copy $1 (a file or a directory) to $2, creating $2's parent.
put() {
	mkdir -p "$(dirname "$2")"
	cp -a "$1" "$2"
}

# Copy every directory entry of $1 into directory $2, if $1 exists.
put_contents() {
	[ -d "$1" ] || return 0
	mkdir -p "$2"
	cp -a "$1"/. "$2"/
}

is_elf() {
	[ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]
}

# The shared libraries (and loader) each dynamic ELF file under $1 needs,
# copied to the same paths inside $1. libshmipc itself is already in
# /opt/shmipc/lib, found through LD_LIBRARY_PATH in the guest.
copy_elf_libs() {
	local stage=$1 own=$TOP/build/userspace/lib f lib out
	find "$stage" -type f | while read -r f; do
		is_elf "$f" || continue
		# ldd fails on static programs and modules: nothing to copy.
		out=$(LD_LIBRARY_PATH=$own ldd "$f" 2>/dev/null) || continue
		case $out in *'not found'*)
			echo "vm-run: warning: ${f#"$stage"} needs a library the host lacks" >&2
		esac
		# "libc.so.6 => /lib/.../libc.so.6 (0x..)" and "/lib64/ld-... (0x..)"
		printf '%s\n' "$out" |
			sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'
	done | sort -u | while read -r lib; do
		case $lib in "$own"/*) continue ;; esac
		[ -e "$stage$lib" ] && continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
}
