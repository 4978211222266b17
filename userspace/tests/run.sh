#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs the host tests of libshmipc and numbers their results:
#   ok N name | not ok N name | ok N name # SKIP reason
# then one last line "P passed, F failed". Exits 1 if any test failed.
#
# Called by `make check` with O (the build folder) and srcdir (userspace/)
# in the environment; also passes CC, MAKE and PKG_CONFIG. Each test program
# prints unnumbered "ok name" lines; a program that dies without reporting
# a failure counts as one failed test named after it.

set -u
: "${O:?O must name the build folder}" "${srcdir:?srcdir must name userspace/}"
export O srcdir CC="${CC:-cc}" MAKE="${MAKE:-make}" PKG_CONFIG="${PKG_CONFIG:-pkg-config}"

passed=0
failed=0
n=0
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT

# run NAME COMMAND...: run one test program and number its results.
run() {
	name=$1
	shift
	"$@" >"$out" 2>&1
	status=$?
	saw_failure=0
	while IFS= read -r line; do
		case $line in
		"ok "*)
			n=$((n + 1)); passed=$((passed + 1))
			echo "ok $n ${line#ok }" ;;
		"not ok "*)
			n=$((n + 1)); failed=$((failed + 1)); saw_failure=1
			echo "not ok $n ${line#not ok }" ;;
		"#"*)
			echo "$line" ;;
		*)
			echo "# $line" ;;
		esac
	done <"$out"
	if [ "$status" -ne 0 ] && [ "$saw_failure" -eq 0 ]; then
		n=$((n + 1)); failed=$((failed + 1))
		echo "# $name exited with status $status"
		echo "not ok $n $name"
	fi
}

for t in test-nodevice test-device test-calls test-sem test-mutex test-chan; do
	run "$t" "$O/tests/$t"
done
run test-symbols.sh sh "$srcdir/tests/test-symbols.sh"
run test-preload.sh sh "$srcdir/tests/test-preload.sh"
run test-examples.sh sh "$srcdir/tests/test-examples.sh"
run test-shmcp.sh sh "$srcdir/tests/test-shmcp.sh"
run test-install.sh sh "$srcdir/tests/test-install.sh"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
