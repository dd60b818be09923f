#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# lbd --from-keepalived on the keepalived.conf corpus of this folder.
#   run.sh LBD DIR
#
# Each case is NAME.conf (a keepalived.conf; NAME.lbd.conf files are not
# cases) with three expectations beside it:
#   NAME.lbd.conf  the lbd configuration expected on stdout (empty: none)
#   NAME.err       the messages expected on stderr
#   NAME.rc        the exit status expected: 0, 1 or 2
# The converter runs from inside DIR, so messages name files as they are here
# (include.d/... for included files). Every output of a case expected to exit
# 0 or 1 must then pass `lbd --check -f`. Last come generated inputs (huge
# words, deep nesting, random bytes, unreadable files, a full disk): each must
# give its exit status without crashing.
#
# Expectations are rewritten from the current converter with
#   UPDATE=1 tests/keepalived/run.sh build/lbd tests/keepalived
# which then reports no failure for the comparisons: read every change it
# made (git diff tests/keepalived) before keeping it. A golden file that
# records a bug is a bug; tests/keepalived/README says what each case is for.
set -u
lbd=$1
dir=$2
case $lbd in /*) ;; *) lbd=$(pwd)/$lbd ;; esac
cd "$dir" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
n_check=0
rejected=""

for f in *.conf; do
	case $f in *.lbd.conf) continue ;; esac
	name=${f%.conf}
	n=$((n + 1))
	"$lbd" --from-keepalived "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$tmp/out" "$name.lbd.conf"
		cp "$tmp/err" "$name.err"
		echo "$rc" >"$name.rc"
	fi
	for want in "$name.lbd.conf" "$name.err" "$name.rc"; do
		if [ ! -f "$want" ]; then
			echo "FAIL $name: $want is missing (UPDATE=1 writes it)"
			fail=1
			continue 2
		fi
	done
	want_rc=$(cat "$name.rc")
	if [ "$rc" != "$want_rc" ]; then
		echo "FAIL $name: exit status $rc, expected $want_rc"
		fail=1
	fi
	if ! cmp -s "$tmp/out" "$name.lbd.conf"; then
		echo "FAIL $name: stdout differs from $name.lbd.conf:"
		diff -u "$name.lbd.conf" "$tmp/out" | head -40
		fail=1
	fi
	if ! cmp -s "$tmp/err" "$name.err"; then
		echo "FAIL $name: stderr differs from $name.err:"
		diff -u "$name.err" "$tmp/err" | head -40
		fail=1
	fi
	case $rc in
	0|1)
		if [ ! -s "$tmp/out" ]; then
			echo "FAIL $name: exit status $rc with nothing on stdout"
			fail=1
			continue
		fi
		n_check=$((n_check + 1))
		if ! "$lbd" --check -f "$tmp/out" >"$tmp/check" 2>&1; then
			echo "FAIL $name: lbd --check rejects the output:"
			sed "s|$tmp/out|$name.lbd.conf|" "$tmp/check" | head -20
			rejected="$rejected $name"
			fail=1
		fi
		;;
	*)
		if [ -s "$tmp/out" ]; then
			echo "FAIL $name: exit status $rc but something on stdout"
			fail=1
		fi
		;;
	esac
done

# Generated inputs: expect STATUS NAME [FILE]: the exit status, no crash, and
# at most a bounded stderr (KA_MAX_SHOWN messages and a count of the rest).
expect() {
	want=$1 name=$2 file=${3:-$tmp/$2}
	n=$((n + 1))
	"$lbd" --from-keepalived "$file" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL generated $name: exit status $rc, expected $want"
		head -5 "$tmp/err"
		fail=1
	elif [ "$(wc -l <"$tmp/err")" -gt 101 ]; then
		echo "FAIL generated $name: more than 101 lines on stderr"
		fail=1
	fi
}
vs='virtual_server 198.51.100.1 80 { lb_kind DR
protocol TCP
real_server 192.0.2.1 80 { }
}'
awk 'BEGIN { while (i++ < 1048576) printf "a"; print "" }' >"$tmp/long-word"
expect 2 long-word
{ echo "$vs"; awk 'BEGIN { printf "virtual_server 198.51.100.2 "; while (i++ < 1048576) printf "9"; print " {" }'; } >"$tmp/long-port"
expect 1 long-port
awk 'BEGIN { while (i++ < 100000) printf "{"; print "" }' >"$tmp/deep-open"
expect 2 deep-open
awk 'BEGIN { while (i++ < 100000) print "}" }' >"$tmp/many-close"
expect 2 many-close
{ echo "$vs"; awk 'BEGIN { while (i++ < 40) printf "x {"; while (j++ < 40) printf "}"; print "" }'; } >"$tmp/nested-40"
expect 1 nested-40
awk 'BEGIN { while (i++ < 1100000) print "w" }' >"$tmp/many-words"
expect 2 many-words
for seed in 1 2 3 4 5 6 7 8; do
	LC_ALL=C awk -v seed=$seed 'BEGIN { srand(seed); while (i++ < 20000) printf "%c", int(rand() * 256) }' \
		>"$tmp/random-$seed" 2>/dev/null
	expect 2 "random-$seed"
	{ echo "$vs"; cat "$tmp/random-$seed"; } >"$tmp/vs-random-$seed"
	n=$((n + 1))
	"$lbd" --from-keepalived "$tmp/vs-random-$seed" >/dev/null 2>&1
	rc=$?
	if [ $rc -ne 1 ] && [ $rc -ne 2 ]; then
		echo "FAIL generated vs-random-$seed: exit status $rc, expected 1 or 2"
		fail=1
	fi
done
{ echo "$vs"; echo "include $tmp/self"; } >"$tmp/self"
expect 1 self
expect 2 missing "$tmp/does-not-exist.conf"
expect 2 directory "$tmp"
n=$((n + 1))
if [ -w /dev/full ]; then
	"$lbd" --from-keepalived tcp-check.conf >/dev/full 2>/dev/null
	rc=$?
	if [ $rc -ne 2 ]; then
		echo "FAIL a full disk: exit status $rc, expected 2"
		fail=1
	fi
fi
n=$((n + 1))
"$lbd" --from-keepalived tcp-check.conf --check >/dev/null 2>&1
rc=$?
if [ $rc -ne 2 ]; then
	echo "FAIL --from-keepalived with --check: exit status $rc, expected 2"
	fail=1
fi

if [ -n "$rejected" ]; then
	echo "lbd --check rejected the output of:$rejected"
fi
[ $fail -eq 0 ] && echo "ok: $n keepalived conversions, $n_check outputs checked"
exit $fail
