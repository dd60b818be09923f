#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Runs `lbd --check` on the configuration corpus.
#   good/*.conf must exit 0 and print nothing on stderr.
#   bad/*.conf must exit 1 and print exactly the problems listed in the file's
#   "#! LINE: message" comments (each as FILE:LINE: message), in that order.
set -u
lbd=$1
dir=$2
fail=0
n=0

for f in "$dir"/good/*.conf "$dir"/../../conf/*.conf; do
	n=$((n + 1))
	if ! err=$("$lbd" --check -f "$f" 2>&1 >/dev/null); then
		echo "FAIL $f: rejected a valid file:"; echo "$err"; fail=1
	elif [ -n "$err" ]; then
		echo "FAIL $f: printed on stderr:"; echo "$err"; fail=1
	fi
done

for f in "$dir"/bad/*.conf; do
	n=$((n + 1))
	want=$(sed -n "s|^#! \([0-9]*\): \(.*\)|$f:\1: \2|p" "$f")
	if [ -z "$want" ]; then
		echo "FAIL $f: no '#! LINE: message' expectation in the file"; fail=1
		continue
	fi
	got=$("$lbd" --check -f "$f" 2>&1 >/dev/null)
	rc=$?
	# The last line is the summary ("check: N problems in FILE").
	got_problems=$(printf '%s\n' "$got" | sed '$d')
	if [ $rc -ne 1 ]; then
		echo "FAIL $f: exit status $rc, expected 1"; fail=1
	fi
	if [ "$got_problems" != "$want" ]; then
		echo "FAIL $f:"; echo "--- expected"; echo "$want"; echo "--- got"; echo "$got"
		fail=1
	fi
done

# lbd itself refuses to start on the same problems, before touching DPDK.
"$lbd" -f "$dir/bad/unknown-key.conf" >/dev/null 2>&1
rc=$?
if [ $rc -ne 1 ]; then
	echo "FAIL lbd started (or crashed, status $rc) on an invalid file"; fail=1
fi
n=$((n + 1))

# A missing file is a problem too.
if "$lbd" --check -f "$dir/does-not-exist.conf" >/dev/null 2>&1; then
	echo "FAIL a missing file was accepted"; fail=1
fi
n=$((n + 1))

[ $fail -eq 0 ] && echo "ok: $n configuration checks"
exit $fail
