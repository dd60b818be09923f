#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# make demo: run lbd on a virtual device and stop it cleanly.
# (The LVS-DR lab with real clients and servers in namespaces replaces this.)
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
conf="$here/demo.conf"

echo "== lbd --check: the configuration is validated without starting DPDK"
"$build/lbd" --check -f "$conf"

echo
echo "== lbd on net_null0 (a DPDK virtual port), 3 seconds"
"$build/lbd" -l 0-1 --no-huge --no-shconf --no-pci --vdev=net_null0 --log-level=user1,info \
	-- -f "$conf" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
sleep 3
kill -INT $pid
wait $pid
echo "== lbd stopped on SIGINT with status $?"
