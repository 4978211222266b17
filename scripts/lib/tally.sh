# shellcheck shell=bash
# Counting test results, for scripts/check and scripts/check-debug: the
# totals, a VM run's transcript, and the closing summary line.
# Needs TOP set by the caller.

passed=0 failed=0 skipped=0

add() {
	passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + $3))
}

# Counts a VM run's transcript (run_kselftest.sh and "extra" lines):
# prints "pass fail skip". A test is a test case of a kselftest program
# (the harness's nested "ok"/"not ok" lines) or an extra; a program that
# dies without reporting a failing case counts as one failure.
count_tap() {
	awk '
	/^# (ok|not ok) [0-9]+/ {
		if ($0 ~ /# SKIP/) skip++
		else if ($2 == "ok") pass++
		else { fail++; prog_fail++ }
		next
	}
	/^(not )?ok [0-9]+ extra: / { if ($1 == "ok") pass++; else fail++; next }
	/^# selftests: / { prog_fail = 0; next }
	/^not ok [0-9]+ selftests: / { if (!prog_fail) fail++; next }
	END { printf "%d %d %d\n", pass, fail, skip }
	' "$1"
}

# vm_tests NAME LOG VM-RUN-ARG...: one boot through scripts/vm-run, its
# output in LOG; prints the failures and "NAME: N passed, ..." and adds
# them up. A VM that fails (dirty kernel log, module that will not load or
# unload, timeout, panic) counts as one more failure, as does a run in
# which no test ran.
vm_tests() {
	local name=$1 out=$2 rc p f s start=$SECONDS
	shift 2
	"$TOP/scripts/vm-run" "$@" >"$out" 2>&1
	rc=$?
	read -r p f s < <(count_tap "$out")
	grep -E '^# not ok|^not ok' "$out"
	if [ "$rc" != 0 ]; then
		# The harness's own reason is on its last lines.
		grep -E '^vm-run:|^guest:' "$out" | tail -n 15
		f=$((f + 1))
	fi
	if [ $((p + f + s)) = 0 ]; then
		echo "$name: no test ran (see $out)"
		f=$((f + 1))
	fi
	echo "$name: $p passed, $f failed, $s skipped ($((SECONDS - start)) s)"
	add "$p" "$f" "$s"
}

# The counts of the last "N passed, N failed[, N skipped]" line in file
# $1, as "pass fail skip" (skip empty when the line has none); nothing
# when there is no such line.
summary_counts() {
	sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed\(, \([0-9]*\) skipped\)\{0,1\}$/\1 \2 \4/p' "$1" |
		tail -n 1
}

# The last line of a run; true when nothing failed.
summary() {
	if [ "$skipped" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	[ "$failed" = 0 ]
}
