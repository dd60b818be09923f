#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Draws the TCP state diagrams from the table the dataplane uses:
#   tests/gen_tcp_states.sh GENERATOR OUTDIR
# GENERATOR is the built gen_tcp_states (build/tests/gen_tcp_states, made by
# `make`); this script builds nothing. It writes OUTDIR/tcp-states.dot and .svg
# (the normal table) and OUTDIR/tcp-states-secure.dot and .svg (secure_tcp).
# Each SVG carries the sha256 of its dot source in a comment, so that
# tests/check_tcp_states.sh can tell a stale SVG without running graphviz, whose
# SVG output varies between versions.
set -eu
if [ $# -ne 2 ]; then
	echo "usage: $0 GENERATOR OUTDIR" >&2
	exit 2
fi
gen=$1
out=$2
if ! command -v dot >/dev/null; then
	echo "$0: graphviz's dot is needed (apt-get install graphviz)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

draw() {
	name=$1
	shift
	"$gen" "$@" >"$tmp/$name.dot"
	dot -Tsvg "$tmp/$name.dot" >"$tmp/raw.svg"
	sum=$(sha256sum <"$tmp/$name.dot" | cut -d' ' -f1)
	# After the XML declaration, which must stay first.
	awk -v c="<!-- source sha256: $sum -->" \
		'{ print } NR == 1 && /^<\?xml/ { print c; done = 1 }
		END { if (!done) exit 1 }' "$tmp/raw.svg" >"$tmp/$name.svg"
	cp "$tmp/$name.dot" "$tmp/$name.svg" "$out/"
	echo "wrote $out/$name.dot $out/$name.svg"
}

draw tcp-states
draw tcp-states-secure --secure
