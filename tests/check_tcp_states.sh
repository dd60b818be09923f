#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Fails when docs/tcp-states*.{dot,svg} no longer show lb_tcp_trans:
#   tests/check_tcp_states.sh GENERATOR REPO_ROOT
# The generator's output must equal the committed dot byte for byte, and the SVG
# must carry that dot's sha256 (written by tests/gen_tcp_states.sh). Comparing
# the dot, not the SVG, keeps graphviz out of the test: its SVG differs between
# versions for the same input.
set -u
gen=$1
root=$2
docs=$root/docs
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
fail=0

check() {
	name=$1
	shift
	"$gen" "$@" >"$tmp"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL $gen $*: exit status $rc"; fail=1
		return
	fi
	if [ ! -f "$docs/$name.dot" ]; then
		echo "FAIL $docs/$name.dot is missing"; fail=1
	elif ! cmp -s "$tmp" "$docs/$name.dot"; then
		echo "FAIL $docs/$name.dot is not what the table in dataplane/tcp_state.c gives:"
		diff -u "$docs/$name.dot" "$tmp" | head -40
		fail=1
	fi
	sum=$(sha256sum <"$tmp" | cut -d' ' -f1)
	if [ ! -f "$docs/$name.svg" ]; then
		echo "FAIL $docs/$name.svg is missing"; fail=1
	elif ! grep -q -x -F "<!-- source sha256: $sum -->" "$docs/$name.svg"; then
		echo "FAIL $docs/$name.svg was not drawn from the current table"
		echo "     (no '<!-- source sha256: $sum -->' line)"
		fail=1
	fi
}

check tcp-states
check tcp-states-secure --secure

if [ $fail -ne 0 ]; then
	echo "Regenerate them (see docs/tcp-states.md):"
	echo "  make && tests/gen_tcp_states.sh build/tests/gen_tcp_states docs"
	exit 1
fi
echo "ok: docs/tcp-states.dot, docs/tcp-states-secure.dot and their SVGs match lb_tcp_trans"
