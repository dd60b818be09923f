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

# The limits (control/limits.h), at and one past each, in generated files:
# one service per line, one real server per line, so the first item over a
# limit has a known line. gen SERVICES DESTS_EACH LAST_DESTS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gen() {
	awk -v ns="$1" -v nd="$2" -v last="$3" -v sched="$4" 'BEGIN {
		print "ports = ( { device = \"net_null0\"; address = \"10.0.0.2/8\"; } );"
		print "services = ("
		for (s = 0; s < ns; s++) {
			n = s == ns - 1 ? last : nd
			printf "{ protocol = \"tcp\"; vip = \"10.200.%d.%d\"; port = 80; scheduler = \"%s\"; real_servers = (\n", s / 250, s % 250 + 1, sched
			for (d = 0; d < n; d++)
				printf "{ address = \"10.%d.%d.%d\"; }%s\n", s % 200, d / 250, d % 250 + 1, d < n - 1 ? "," : ""
			printf "); }%s\n", s < ns - 1 ? "," : ""
		}
		print ");"
	}'
}
limit_case() {	# name, expected line or 0 (valid), gen arguments
	name=$1 line=$2
	shift 2
	gen "$@" > "$tmp/$name.conf"
	n=$((n + 1))
	got=$("$lbd" --check -f "$tmp/$name.conf" 2>&1 >/dev/null)
	rc=$?
	if [ "$line" = 0 ]; then
		[ $rc -eq 0 ] || { echo "FAIL $name: rejected at the limit: $got"; fail=1; }
		return
	fi
	want="$tmp/$name.conf:$line: $(printf '%s' "$got" | sed -n 's/^[^:]*:[0-9]*: \(more than .*\)$/\1/p' | head -1)"
	first=$(printf '%s\n' "$got" | head -1)
	if [ $rc -ne 1 ] || [ "$first" != "$want" ] || ! printf '%s' "$first" | grep -q "more than"; then
		echo "FAIL $name: expected a limit at line $line, got (status $rc):"; echo "$got"; fail=1
	fi
}
# 1024 servers of an lc service (a worker sizes its scheduler's array by it)
limit_case dests-1024 0 1 0 1024 lc
# the 1025th: line 2 (services =), 3 (the service), then one per server
limit_case dests-1025 $((3 + 1025)) 1 0 1025 lc
# 1024 services; the 1025th is on line 3 + 1024 * 3
limit_case svcs-1024 0 1024 1 1 rr
limit_case svcs-1025 $((3 + 1024 * 3)) 1025 1 1 rr
# 4096 servers in all, then one more in a fifth service
limit_case total-4096 0 4 1024 1024 wlc
limit_case total-4097 $((3 + 4 * 1026 + 1)) 5 1024 1 wlc
# and lbd refuses to start on one over, before touching DPDK
"$lbd" -f "$tmp/dests-1025.conf" >/dev/null 2>&1
rc=$?
if [ $rc -ne 1 ]; then
	echo "FAIL lbd started (or crashed, status $rc) with 1025 servers in a service"; fail=1
fi
n=$((n + 1))

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
